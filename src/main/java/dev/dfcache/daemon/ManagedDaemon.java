package dev.dfcache.daemon;

import dev.dfcache.metrics.LocalCallTimer;
import dev.dfcache.api.manager.KeepAliveRequest;
import dev.dfcache.api.manager.ListSchedulersRequest;
import dev.dfcache.api.manager.ListSchedulersResponse;
import dev.dfcache.api.manager.MetricsSummary;
import dev.dfcache.api.manager.SourceType;
import dev.dfcache.common.HostPort;
import dev.dfcache.common.PeerEndpoint;
import dev.dfcache.dynconfig.ClientConfig;
import dev.dfcache.dynconfig.Dynconfig;
import dev.dfcache.dynconfig.InvalidConfigException;
import dev.dfcache.dynconfig.ManagedComponent;
import dev.dfcache.rpc.ManagerRpc;
import io.grpc.Channel;
import java.time.Duration;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A daemon as its manager sees it: it registers with ListSchedulers (which answers the active
 * schedulers of its cluster and the cluster's client_config), keeps alive with its metrics, and
 * applies what it is given: the scheduler list to its gateway, the client_config to its
 * {@link DaemonTunables}. Before the gateway exists (at start) a configuration is kept and
 * applied when {@link #attach} is called.
 */
final class ManagedDaemon implements ManagedComponent {
  private static final Logger log = LoggerFactory.getLogger(ManagedDaemon.class);

  private final PeerEndpoint self;
  private final String cluster;
  private final long cacheCapacity;
  private final String version;
  private volatile DaemonEnv env;
  private volatile Dynconfig pending;
  /** While no scheduler is known: why, and when the manager is asked again. */
  private volatile String noneKnownBecause;

  ManagedDaemon(PeerEndpoint self, String cluster, long cacheCapacity, String version) {
    this.self = self;
    this.cluster = cluster;
    this.cacheCapacity = cacheCapacity;
    this.version = version;
  }

  /** The daemon is up: apply the configuration held until now, and every one from here on. */
  void attach(DaemonEnv env) {
    this.env = env;
    Dynconfig held = pending;
    if (held != null) {
      apply(held);
    }
    String why = noneKnownBecause;
    if (why != null) {
      env.gateway().noneKnownBecause(why);
    }
  }

  @Override
  public String describe() {
    return "peer " + self.id();
  }

  @Override
  public Dynconfig register(Channel manager, Duration deadline) {
    ListSchedulersResponse r = ManagerRpc.LIST_SCHEDULERS.call(manager,
        ListSchedulersRequest.newBuilder().setSourceType(SourceType.PEER_SOURCE)
            .setHostName(self.hostname()).setIp(self.ip()).setVersion(version)
            .setHostId(self.id()).setRpcPort(self.rpcPort()).setUploadPort(self.downPort())
            .setIdc(self.idc()).setLocation(self.location()).setClusterName(cluster)
            .setCacheCapacity(cacheCapacity)
            .build(), deadline);
    List<HostPort> schedulers = r.getSchedulersList().stream()
        .map(s -> new HostPort(s.getIp(), s.getPort())).toList();
    return Dynconfig.of(r.getSchedulerCluster(), schedulers);
  }

  @Override
  public KeepAliveRequest keepAlive() {
    DaemonEnv e = env;
    MetricsSummary.Builder m = MetricsSummary.newBuilder();
    if (e != null) {
      m.setTasks(e.store().all().size())
          .setBytesUploaded((long) e.metrics().uploadedBytes.get())
          .setBytesDownloaded((long) e.metrics().downloadedBytes.get())
          .setPiecesFailed((long) (e.metrics().pieces.labelValues("failed").get()
              + e.metrics().pieces.labelValues("corrupt").get()))
          .setCacheUsed(e.store().usedBytes());
      LocalCallTimer.Totals stat = e.metrics().localCalls.totals("stat");
      LocalCallTimer.Totals export = e.metrics().localCalls.totals("export");
      m.setStatCount(stat.count()).setStatMicros(stat.micros())
          .setExportCount(export.count()).setExportMicros(export.micros());
      long free = e.store().lastFreeBytes(); // measured off this thread (a statfs)
      if (free >= 0) {
        m.setCacheFree(free);
      }
    }
    return KeepAliveRequest.newBuilder().setSourceType(SourceType.PEER_SOURCE)
        .setHostName(self.hostname()).setIp(self.ip()).setHostId(self.id())
        .setSummary(m).build();
  }

  @Override
  public void apply(Dynconfig config) {
    DaemonEnv e = env;
    if (e == null) {
      pending = config;
      return;
    }
    try {
      e.tunables().apply(ClientConfig.parse(config.clientConfig()));
    } catch (InvalidConfigException bad) {
      log.warn("cluster {}: client_config version {} not applied: {}", config.clusterName(),
          config.configVersion(), bad.getMessage());
    }
    if (!config.schedulers().isEmpty()) {
      e.gateway().setSchedulers(config.schedulers());
    }
  }

  /** No schedulers: the manager has none registered in the cluster yet (they start together). */
  @Override
  public boolean incomplete(Dynconfig config) {
    return config.schedulers().isEmpty();
  }

  @Override
  public void askingAgain(HostPort manager, boolean reached, Duration in) {
    String why = (reached ? "the manager " + manager + " has none registered"
        : "the manager " + manager + " is unreachable")
        + "; asking it again " + (reached ? "within " : "every ") + Math.max(1, in.toSeconds())
        + " s";
    noneKnownBecause = why;
    DaemonEnv e = env;
    if (e != null) {
      e.gateway().noneKnownBecause(why);
    }
  }
}
