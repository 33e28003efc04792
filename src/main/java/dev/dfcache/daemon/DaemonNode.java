package dev.dfcache.daemon;

import com.typesafe.config.Config;
import dev.dfcache.access.Caller;
import dev.dfcache.access.PathScope;
import dev.dfcache.api.dfdaemon.Daemon;
import dev.dfcache.api.dfdaemon.DaemonHandlerFactory;
import dev.dfcache.api.peer.PeerDaemon;
import dev.dfcache.api.peer.PeerDaemonHandlerFactory;
import org.apache.pekko.grpc.javadsl.ServiceHandler;
import org.apache.pekko.stream.Materializer;
import dev.dfcache.localapi.LocalSocketServer;
import dev.dfcache.tls.PeerTls;
import java.nio.file.Path;
import dev.dfcache.rpc.WholeRequests;
import com.typesafe.config.ConfigFactory;
import dev.dfcache.common.GrpcErrors;
import dev.dfcache.common.HostPort;
import java.util.Map;
import java.util.Set;
import org.apache.pekko.http.javadsl.settings.ServerSettings;
import dev.dfcache.common.PeerEndpoint;
import dev.dfcache.metrics.DaemonMetrics;
import dev.dfcache.transfer.TokenBucket;
import dev.dfcache.rpc.Channels;
import dev.dfcache.scheduler.SchedulerNode;
import dev.dfcache.scheduler.SchedulerSettings;
import dev.dfcache.storage.TaskStore;
import dev.dfcache.transfer.UploadServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One dfdaemon: the node's store, its gRPC API, its piece upload server, the download manager
 * and the announcer, in an ActorSystem of its own (not a cluster member: thousands of peers must
 * stay out of the scheduler's membership gossip). In standalone mode it also runs a single-node
 * scheduler in the same JVM.
 */
public final class DaemonNode implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(DaemonNode.class);

  private final ActorSystem<Void> system;
  private final SchedulerGateway gateway;
  private final Channels peerChannels;
  private final SchedulerNode embeddedScheduler;
  private final PeerEndpoint self;
  private final LocalSocketServer socket;

  /** The tie to the manager; null without one. */
  private final dev.dfcache.dynconfig.ManagerLink manager;

  private DaemonNode(ActorSystem<Void> system, SchedulerGateway gateway, Channels peerChannels,
      SchedulerNode embeddedScheduler, PeerEndpoint self, LocalSocketServer socket,
      dev.dfcache.dynconfig.ManagerLink manager) {
    this.manager = manager;
    this.socket = socket;
    this.system = system;
    this.gateway = gateway;
    this.peerChannels = peerChannels;
    this.embeddedScheduler = embeddedScheduler;
    this.self = self;
  }

  public static DaemonNode start(DaemonSettings requested, Config config, boolean standalone)
      throws Exception {
    DaemonSettings s = requested.withNetwork(requested.host(), freeIfZero(requested.grpcPort()),
        freeIfZero(requested.uploadPort()), requested.dataDir(), requested.schedulers());
    SchedulerNode scheduler = null;
    if (standalone) {
      SchedulerSettings ss = SchedulerSettings.fromConfig(config)
          .withAddresses("127.0.0.1", 0, 0, List.of())
          .withTlsDir(s.tlsDir());
      scheduler = SchedulerNode.start(ss, config, null);
      scheduler.whenUp().toCompletableFuture().get(30, TimeUnit.SECONDS);
      s = s.withNetwork(s.host(), s.grpcPort(), s.uploadPort(), s.dataDir(),
          List.of(scheduler.grpcAddress()));
    }
    // before the manager replaces the list: the names given here are what the daemon trusts
    SchedulerTlsNames schedulerNames = new SchedulerTlsNames(
        config.getString("dfcache.daemon.scheduler-tls-name"), s.schedulers());
    TaskStore store = TaskStore.open(s.dataDir(), s.fsync(), s.storeQuota());
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "dfdaemon", config);
    LocalSocketServer socket = null;
    ManagedDaemon managed = null;
    dev.dfcache.dynconfig.ManagerLink link = null;
    try {
      scala.concurrent.ExecutionContextExecutor blocking = system.dispatchers()
          .lookup(DispatcherSelector.fromConfig("dfcache.blocking-io-dispatcher"));
      PeerEndpoint self = new PeerEndpoint(s.effectiveHostId(), s.host(), s.grpcPort(),
          s.uploadPort(), InetAddress.getLocalHost().getHostName(), s.idc(), s.location());
      PeerTls peerTls = s.tlsDir().isBlank() ? null : PeerTls.load(Path.of(s.tlsDir()));
      dev.dfcache.dynconfig.ManagerClientSettings managerSettings =
          dev.dfcache.dynconfig.ManagerClientSettings.fromConfig(config.getConfig("dfcache.daemon"));
      if (managerSettings.enabled() && !standalone) {
        managed = new ManagedDaemon(self, managerSettings.schedulerCluster(), s.storeQuota(),
            DaemonNode.class.getPackage().getImplementationVersion() == null ? "dev"
                : DaemonNode.class.getPackage().getImplementationVersion());
        link = new dev.dfcache.dynconfig.ManagerLink(managerSettings.manager(), managed,
            s.dataDir().resolve("dynconfig.json"), managerSettings.keepAliveInterval(),
            managerSettings.refreshInterval(), managerSettings.channels(s.tlsDir()));
        var fromManager = link.start();
        if (fromManager.isPresent() && !fromManager.get().schedulers().isEmpty()) {
          s = s.withNetwork(s.host(), s.grpcPort(), s.uploadPort(), s.dataDir(),
              fromManager.get().schedulers());
        } else if (s.schedulers().isEmpty()) {
          // no made-up address: calls that need a scheduler say that none is known yet
          log.warn("no scheduler known yet: manager {} named none; imports are stored and "
              + "announced as soon as one is known, calls that need one fail meanwhile",
              managerSettings.manager());
        } else {
          log.warn("no schedulers from the manager: using {} (--schedulers) meanwhile",
              s.schedulers());
        }
      }
      SchedulerGateway gateway = new SchedulerGateway(s.schedulers(), s.schedulerCallTimeout(),
          self, schedulerChannels(s, schedulerNames));
      Channels peerChannels = new Channels(peerTls == null ? null : peerTls.grpcClient(),
          dev.dfcache.tls.TlsTarget.anyOfTheCa("peer"));
      DaemonMetrics metrics = new DaemonMetrics(() -> store.all().size(), store::usedBytes);
      DaemonTunables tunables = new DaemonTunables(s);
      UploadServer uploads = new UploadServer(store::servable, metrics,
          tunables.uploadLimit(), s.maxConcurrentUploads(), s.maxUploadsPerTask(),
          peerTls != null);
      tunables.attach(uploads);
      DaemonEnv env = new DaemonEnv(system, s, store, gateway, peerChannels, blocking, self,
          metrics, tunables.downloadLimit(),
          new InflightBudget(s.maxInflightBytes()), uploads, peerTls, tunables);
      // A downloader that stops reading must not hold an upload slot for long.
      // A small send buffer: the kernel would otherwise take a whole piece at once (autotuned
      // buffers reach 4 MiB) and the upload would count as finished long before the peer has
      // it, so the per-task and per-piece upload slots would let a capped link take far more
      // than it can carry (and one piece go out twice).
      ServerSettings uploadSettings = ServerSettings.create(ConfigFactory.parseMap(Map.of(
              "pekko.http.server.idle-timeout", s.uploadIdleTimeout().toMillis() + "ms",
              "pekko.http.server.socket-options.so-send-buffer-size",
              Long.toString(s.uploadSocketBuffer()),
              // with TLS, piece requests are served only when a peer certificate came along
              "pekko.http.server.parsing.ssl-session-attribute", "on"))
          .withFallback(config));
      ServerBinding upload = https(Http.get(system).newServerAt(s.host(), s.uploadPort()),
              peerTls == null ? null : peerTls.uploadServer())
          .withSettings(uploadSettings)
          .bind(uploads::apply)
          .toCompletableFuture().get(30, TimeUnit.SECONDS);
      ActorRef<PeerTaskManager.Command> downloads =
          system.systemActorOf(PeerTaskManager.create(env), "downloads", Props.empty());
      LocalApi localApi = new LocalApi(env, downloads);
      if (managed != null) {
        managed.attach(env);
      }
      List<Path> importDirs = s.allowedImportDirs();
      List<Path> exportDirs = s.allowedExportDirs();
      // over TCP (legacy flag only) calls act as the daemon itself, inside the allowed dirs
      LocalApi.Access tcpAccess = new LocalApi.Access(Caller.self(),
          PathScope.within(importDirs), PathScope.within(exportDirs));
      DaemonService service = new DaemonService(env, localApi, tcpAccess);
      ServerBinding grpc = https(Http.get(system).newServerAt(s.host(), s.grpcPort()),
              peerTls == null ? null : peerTls.grpcServer())
          .withSettings(ServerSettings.create(ConfigFactory.parseMap(Map.of(
                  "pekko.http.server.remote-address-attribute", "on"))
              .withFallback(config)))
          .bind(WholeRequests.of(TcpLocalApiGate.wrap(
                  ServiceHandler.concatOrNotFound(
                      DaemonHandlerFactory.partial(service, Daemon.name,
                          Materializer.matFromSystem(system), GrpcErrors.handler(), system),
                      PeerDaemonHandlerFactory.partial(new PeerDaemonService(env, downloads),
                          PeerDaemon.name, Materializer.matFromSystem(system),
                          GrpcErrors.handler(), system)),
                  s.legacyTcpLocalApi(), s.localSocket().path()),
              Set.of("/dfdaemon.Daemon/SyncPieceTasks"), system))
          .toCompletableFuture().get(30, TimeUnit.SECONDS);
      socket = LocalSocketServer.start(new LocalSocketServer.Settings(s.localSocket().path(),
              s.localSocket().mode(), s.localSocket().group()), localApi,
          caller -> new LocalApi.Access(caller, PathScope.configuredOrAnywhere(importDirs),
              PathScope.configuredOrAnywhere(exportDirs)));
      system.systemActorOf(Announcer.create(env), "announcer", Props.empty());
      scrubInBackground(env);
      if (config.getBoolean("dfcache.daemon.warm-up")) {
        TransferWarmup.start(env, (peerTls == null ? "http://" : "https://") + s.host() + ":"
            + upload.localAddress().getPort());
      }
      store.onEviction(gateway::leave);
      system.scheduler().scheduleWithFixedDelay(s.gcInterval(), s.gcInterval(),
          () -> store.collectGarbage(tunables.gcHighWatermark(), tunables.gcLowWatermark()),
          blocking);
      store.freeBytes();
      system.scheduler().scheduleWithFixedDelay(s.heartbeatInterval(), s.heartbeatInterval(),
          store::freeBytes, blocking);
      java.time.Duration expiryCheck = s.lifetime().expiryCheckInterval();
      system.scheduler().scheduleWithFixedDelay(expiryCheck, expiryCheck, store::dropExpired,
          blocking);
      log.info("dfdaemon {} advertising {}: local API on unix:{}, peer gRPC on {}{}, uploads on "
              + "{}, store {}, schedulers {}", self.id(), s.host(), socket.socket(),
          grpc.localAddress(), s.legacyTcpLocalApi() ? " (with the legacy TCP local API)" : "",
          upload.localAddress(), s.dataDir(), s.schedulers());
      return new DaemonNode(system, gateway, peerChannels, scheduler, self, socket, link);
    } catch (Exception e) {
      if (link != null) {
        link.close();
      }
      if (socket != null) {
        socket.close();
      }
      system.terminate();
      if (scheduler != null) {
        scheduler.close();
      }
      throw e;
    }
  }

  private static org.apache.pekko.http.javadsl.ServerBuilder https(
      org.apache.pekko.http.javadsl.ServerBuilder server,
      org.apache.pekko.http.javadsl.HttpsConnectionContext tls) {
    return tls == null ? server : server.enableHttps(tls);
  }

  /**
   * Mutual TLS to the schedulers with a --tls-dir, each checked for the name the daemon was
   * configured to trust; plaintext (and a warning) without.
   */
  private static Channels schedulerChannels(DaemonSettings s, SchedulerTlsNames names)
      throws Exception {
    if (s.tlsDir().isBlank()) {
      log.warn("no --tls-dir: calls to the schedulers, the peer API and piece uploads are "
          + "plaintext and unauthenticated; make certificates with bin/dfcache-certs");
      return new Channels();
    }
    try {
      Channels tls = new Channels(dev.dfcache.tls.TlsFiles.grpcClient(Path.of(s.tlsDir())),
          new dev.dfcache.tls.TlsTarget("scheduler", names, "--scheduler-tls-name"));
      log.info("calls to the schedulers, peer API and piece uploads: mutual TLS with the "
          + "certificates in {}; schedulers must present a certificate for {}", s.tlsDir(),
          names.describe());
      List<String> named = dev.dfcache.scheduler.PeerIdentity.addressesOf(
          dev.dfcache.tls.TlsFiles.chain(Path.of(s.tlsDir())));
      if (!named.contains(dev.dfcache.scheduler.PeerIdentity.canonical(s.host()))) {
        log.warn("the certificate in {} names the addresses {}, not {} that this daemon "
            + "advertises: schedulers with peer-identity = address (the default) will refuse "
            + "its announces and downloads; make one with bin/dfcache-certs DIR {}", s.tlsDir(),
            named, s.host(), s.host());
      }
      return tls;
    } catch (Exception e) {
      throw new IllegalArgumentException("--tls-dir " + s.tlsDir() + ": " + e.getMessage(), e);
    }
  }

  /**
   * Tasks found at start are announced at once (peers can use them within seconds) and
   * re-hashed here in the background; one that fails is removed and left at the scheduler.
   */
  private static void scrubInBackground(DaemonEnv env) {
    java.util.concurrent.CompletableFuture
        .supplyAsync(() -> env.store().verifyAll(), env.blocking())
        .thenAccept(removed -> removed.forEach(env.gateway()::leave))
        .exceptionally(t -> {
          log.warn("store scrub failed: {}", t.toString());
          return null;
        });
  }

  private static int freeIfZero(int port) throws IOException {
    if (port != 0) {
      return port;
    }
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }

  public PeerEndpoint self() {
    return self;
  }

  public Path socket() {
    return socket.socket();
  }

  public HostPort grpcAddress() {
    return new HostPort(self.ip(), self.rpcPort());
  }

  public ActorSystem<Void> system() {
    return system;
  }

  @Override
  public void close() {
    if (manager != null) {
      manager.close();
    }
    socket.close();
    system.terminate();
    try {
      system.getWhenTerminated().toCompletableFuture().get(20, TimeUnit.SECONDS);
    } catch (Exception e) {
      log.warn("dfdaemon did not stop in time: {}", e.toString());
    }
    gateway.close();
    peerChannels.close();
    if (embeddedScheduler != null) {
      embeddedScheduler.close();
    }
  }
}
