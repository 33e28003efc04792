package dev.dfcache.daemon;

import dev.dfcache.common.PeerEndpoint;
import dev.dfcache.metrics.DaemonMetrics;
import dev.dfcache.transfer.TokenBucket;
import dev.dfcache.transfer.UploadServer;
import dev.dfcache.rpc.Channels;
import dev.dfcache.storage.TaskStore;
import java.util.concurrent.Executor;
import org.apache.pekko.actor.typed.ActorSystem;

/** What the parts of a daemon share: its store, its ways out, and where blocking work runs. */
record DaemonEnv(
    ActorSystem<?> system,
    DaemonSettings settings,
    TaskStore store,
    SchedulerGateway gateway,
    Channels peerChannels,
    Executor blocking,
    PeerEndpoint self,
    DaemonMetrics metrics,
    /** shared by every download of this daemon; null = no limit */
    TokenBucket downloadLimit,
    /** the bytes of pieces all downloads of this daemon hold in memory at once */
    InflightBudget inflight,
    UploadServer uploads,
    /** mutual TLS with the other daemons (piece downloads too); null = plaintext */
    dev.dfcache.tls.PeerTls peerTls,
    /** what the manager may change while the daemon runs */
    DaemonTunables tunables) {}
