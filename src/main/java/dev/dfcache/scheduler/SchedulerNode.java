package dev.dfcache.scheduler;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import dev.dfcache.api.peer.PeerSchedulerPowerApi;
import dev.dfcache.api.peer.PeerSchedulerPowerApiHandlerFactory;
import dev.dfcache.api.scheduler.SchedulerPowerApi;
import dev.dfcache.api.scheduler.SchedulerPowerApiHandlerFactory;
import dev.dfcache.cluster.ConsistentHashingAllocationStrategy;
import dev.dfcache.cluster.TaskShards;
import dev.dfcache.common.HostPort;
import dev.dfcache.metrics.GrpcCallMetrics;
import dev.dfcache.metrics.MetricsEndpoint;
import dev.dfcache.metrics.SchedulerMetrics;
import dev.dfcache.rpc.WholeRequests;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.japi.function.Function;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.apache.pekko.grpc.javadsl.ServiceHandler;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.model.HttpMethods;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.management.cluster.bootstrap.ClusterBootstrap;
import org.apache.pekko.management.javadsl.PekkoManagement;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One scheduler node: a member of the scheduler cluster (role "scheduler") that hosts task
 * entities placed by consistent hashing, and serves the scheduler gRPC APIs for peers.
 */
public final class SchedulerNode implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(SchedulerNode.class);

  private final ActorSystem<Void> system;
  private final ServerBinding binding;

  private SchedulerNode(ActorSystem<Void> system, ServerBinding binding) {
    this.system = system;
    this.binding = binding;
  }

  /**
   * The cluster settings for these addresses: the node's own addresses, then -D system properties,
   * then (in kubernetes mode) scheduler-kubernetes.conf, then scheduler.conf, then {@code base}.
   */
  public static Config clusterConfig(SchedulerSettings s, Config base) {
    boolean kubernetes = s.bootstrap() == SchedulerSettings.Bootstrap.KUBERNETES;
    List<String> seeds = kubernetes ? List.of() : s.seedNodes().stream()
        .map(h -> "pekko://" + SchedulerSettings.SYSTEM_NAME + "@" + h.host() + ":" + h.port())
        .toList();
    Config own = ConfigFactory.empty()
        .withValue("pekko.remote.artery.canonical.hostname", ConfigValueFactory.fromAnyRef(s.host()))
        .withValue("pekko.remote.artery.canonical.port", ConfigValueFactory.fromAnyRef(s.clusterPort()))
        .withValue("pekko.cluster.seed-nodes", ConfigValueFactory.fromIterable(seeds));
    int management = s.effectiveManagementPort();
    if (management > 0) {
      own = own
          .withValue("pekko.management.http.hostname", ConfigValueFactory.fromAnyRef(s.host()))
          .withValue("pekko.management.http.port", ConfigValueFactory.fromAnyRef(management));
    }
    if (s.tls()) {
      own = own.withFallback(ClusterTls.artery(java.nio.file.Path.of(s.tlsDir())));
    }
    Config layered = own.withFallback(ConfigFactory.systemProperties());
    if (kubernetes) {
      layered = layered.withFallback(ConfigFactory.parseResources("scheduler-kubernetes.conf"));
    } else {
      // no bootstrap outside Kubernetes: keep its routes out of the management endpoint
      layered = layered.withFallback(ConfigFactory.parseString(
          "pekko.management.http.routes.cluster-bootstrap = \"\""));
    }
    return layered
        .withFallback(ConfigFactory.parseResources("scheduler.conf"))
        .withFallback(base)
        .resolve();
  }

  /**
   * Starts a node. In config mode it joins {@code joinAddress}, else its seed nodes, else forms a
   * cluster of its own; in kubernetes mode cluster bootstrap finds the other pods through the
   * Kubernetes API and joins or forms the cluster. With a management port it serves
   * pekko-management's HTTP endpoint (/ready, /alive, /cluster/members, bootstrap).
   */
  public static SchedulerNode start(SchedulerSettings s, Config base, Address joinAddress) {
    Config config = clusterConfig(s, base);
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), SchedulerSettings.SYSTEM_NAME, config);
    try {
      SchedulerMetrics metrics = SchedulerMetrics.get(system);
      SchedulerHealth health = SchedulerHealth.get(system);
      metrics.hostsAliveFrom(HostLiveness.get(system)::aliveCount);
      FleetActivity activity = new FleetActivity();
      DaemonCalls daemons = daemonCalls(s, system);
      SchedulerTunables tunables = new SchedulerTunables(s.parentSelection());
      initSharding(system, s, activity, daemons, tunables);
      ActorRef<HostRegistry.Command> hosts = system.systemActorOf(
          HostRegistry.create(s.hostTtl(), s.forgetHostAfter()), "hosts", Props.empty());
      system.systemActorOf(SchedulerMetricsPoller.create(Duration.ofSeconds(2)), "metrics",
          Props.empty());
      system.systemActorOf(TaskDirectory.create(), "task-directory", Props.empty());
      system.systemActorOf(DeletionLog.create(s.deletionMemory()), "deletions", Props.empty());
      Cluster cluster = Cluster.get(system);
      boolean kubernetes = s.bootstrap() == SchedulerSettings.Bootstrap.KUBERNETES;
      if (joinAddress != null) {
        cluster.manager().tell(Join.create(joinAddress));
      } else if (!kubernetes && s.seedNodes().isEmpty()) {
        cluster.manager().tell(Join.create(cluster.selfMember().address()));
      }
      PeerIdentityHeader identities = new PeerIdentityHeader(s.effectivePeerIdentity());
      SchedulerService service = new SchedulerService(system, hosts,
          new FleetGeneration(cluster, SchedulerSettings.ROLE), activity, s.askTimeout(),
          identities, daemons);
      Function<HttpRequest, CompletionStage<HttpResponse>> services = WholeRequests.of(
          ServiceHandler.concatOrNotFound(
              SchedulerPowerApiHandlerFactory.partial(service, SchedulerPowerApi.name, system),
              PeerSchedulerPowerApiHandlerFactory.partial(service, PeerSchedulerPowerApi.name,
                  system)),
          Set.of("/scheduler.Scheduler/ReportPieceResult"), system);
      Function<HttpRequest, CompletionStage<HttpResponse>> grpc = GrpcCallMetrics.of(metrics,
          GRPC_METHODS).instrument(request -> services.apply(identities.stamp(request)));
      org.apache.pekko.http.javadsl.ServerBuilder server =
          Http.get(system).newServerAt(s.host(), s.grpcPort());
      if (s.tls()) {
        server = server.enableHttps(ClusterTls.grpcServer(java.nio.file.Path.of(s.tlsDir())));
      }
      ServerBinding binding = server
          .bind((Function<HttpRequest, CompletionStage<HttpResponse>>)
              request -> route(request, grpc, metrics, health, cluster))
          .toCompletableFuture()
          .get(30, TimeUnit.SECONDS)
          // SIGTERM: stop taking calls (peers go to the other nodes), then hand shards over
          .addToCoordinatedShutdown(Duration.ofSeconds(5), system);
      health.setServing(true);
      CoordinatedShutdown.get(system).addTask(CoordinatedShutdown.PhaseBeforeServiceUnbind(),
          "dfcache-not-ready", () -> {
            health.setServing(false);
            return CompletableFuture.completedFuture(Done.getInstance());
          });
      int management = s.effectiveManagementPort();
      if (management > 0) {
        PekkoManagement.get(system).start().toCompletableFuture().get(30, TimeUnit.SECONDS);
        log.info("management HTTP on {}:{}", s.host(), management);
      }
      if (kubernetes) {
        ClusterBootstrap.get(system).start();
        log.info("cluster bootstrap started: pods labelled {} found through the Kubernetes API",
            config.getString("pekko.discovery.kubernetes-api.pod-label-selector").replace("%s",
                config.getString("pekko.management.cluster.bootstrap.contact-point-discovery"
                    + ".service-name")));
      }
      log.info("scheduler gRPC on {}, cluster address {}", binding.localAddress(),
          cluster.selfMember().address());
      dev.dfcache.dynconfig.ManagerClientSettings ms = dev.dfcache.dynconfig.ManagerClientSettings
          .fromConfig(config.getConfig("dfcache.scheduler"));
      if (ms.enabled()) {
        dev.dfcache.dynconfig.ManagerLink link = new dev.dfcache.dynconfig.ManagerLink(
            ms.manager(), new ManagedScheduler(s.host(), binding.localAddress().getPort(),
                java.net.InetAddress.getLocalHost().getHostName(), ms.schedulerCluster(),
                tunables, metrics),
            java.nio.file.Path.of(config.getString("dfcache.scheduler.data-dir"))
                .resolve("dynconfig.json"),
            ms.keepAliveInterval(), ms.refreshInterval(), ms.channels(s.tlsDir()));
        link.start();
        system.getWhenTerminated().thenRun(link::close);
      }
      return new SchedulerNode(system, binding);
    } catch (Exception e) {
      system.terminate();
      throw new IllegalStateException("scheduler failed to start: " + e.getMessage(), e);
    }
  }

  /** Channels to daemons' peer ports, with this node's certificate when TLS is on. */
  private static DaemonCalls daemonCalls(SchedulerSettings s, ActorSystem<?> system)
      throws Exception {
    DaemonCalls notices = new DaemonCalls(new dev.dfcache.rpc.Channels(s.tls()
        ? dev.dfcache.tls.PeerTls.load(java.nio.file.Path.of(s.tlsDir())).grpcClient() : null,
        dev.dfcache.tls.TlsTarget.anyOfTheCa("daemon")));
    system.getWhenTerminated().thenRun(notices::close);
    return notices;
  }

  /** The "package.Service/Method" names this node serves over gRPC. */
  static final Set<String> GRPC_METHODS = Set.of(
      "scheduler.Scheduler/StatTask", "scheduler.Scheduler/AnnounceTask",
      "scheduler.Scheduler/LeaveTask", "dfcache.PeerScheduler/Heartbeat",
      "scheduler.Scheduler/RegisterPeerTask", "scheduler.Scheduler/ReportPieceResult",
      "scheduler.Scheduler/ReportPeerResult", "dfcache.PeerScheduler/DescribeTask",
      "dfcache.PeerScheduler/ReportBadParent", "dfcache.PeerScheduler/DropTask",
      "dfcache.PeerScheduler/IsDeleted");

  /** GET /metrics and GET /healthz (HTTP/1.1) next to gRPC on the same port. */
  private static CompletionStage<HttpResponse> route(HttpRequest request,
      Function<HttpRequest, CompletionStage<HttpResponse>> grpc, SchedulerMetrics metrics,
      SchedulerHealth health, Cluster cluster) throws Exception {
    if (request.method().equals(HttpMethods.GET)) {
      String path = request.getUri().path();
      if (path.equals("/metrics")) {
        return CompletableFuture.completedFuture(MetricsEndpoint.response(metrics.registry));
      }
      if (path.equals("/healthz")) {
        MemberStatus status = cluster.selfMember().status();
        boolean ok = health.serving() && status == MemberStatus.up();
        return CompletableFuture.completedFuture(HttpResponse.create()
            .withStatus(ok ? StatusCodes.OK : StatusCodes.SERVICE_UNAVAILABLE)
            .withEntity((ok ? "ok" : "not ready") + ": member " + status + "\n"));
      }
    }
    return grpc.apply(request);
  }

  static void initSharding(ActorSystem<?> system, SchedulerSettings s, FleetActivity activity,
      DaemonCalls daemons, SchedulerTunables tunables) {
    system.systemActorOf(TaskHandoff.inbox(activity), TaskHandoff.INBOX, Props.empty());
    TaskHandoff handoff =
        new TaskHandoff(system, s.shards(), s.virtualNodes(), SchedulerSettings.ROLE);
    FleetActivity.watchMembership(system, activity);
    CoordinatedShutdown.get(system).addTask(CoordinatedShutdown.PhaseBeforeServiceUnbind(),
        "dfcache-announce-handoff", () -> {
          handoff.announceLeaving();
          return CompletableFuture.completedFuture(Done.getInstance());
        });
    ClusterSharding.get(system).init(
        Entity.of(TaskEntity.TYPE_KEY,
            ctx -> TaskEntity.create(ctx, handoff, tunables, s.deletionMemory(),
                daemons))
            .withRole(SchedulerSettings.ROLE)
            .withMessageExtractor(new TaskShards<TaskEntity.Command>(s.shards()))
            .withAllocationStrategy(new ConsistentHashingAllocationStrategy(s.virtualNodes(), s.shards()))
            .withStopMessage(new TaskEntity.HandOff()));
  }

  public ActorSystem<Void> system() {
    return system;
  }

  public HostPort grpcAddress() {
    return new HostPort(binding.localAddress().getHostString(), binding.localAddress().getPort());
  }

  public Address clusterAddress() {
    return Cluster.get(system).selfMember().address();
  }

  /** Completes when this node is Up in the cluster. */
  public CompletionStage<Done> whenUp() {
    CompletableFuture<Done> up = new CompletableFuture<>();
    org.apache.pekko.cluster.Cluster.get(system).registerOnMemberUp(() -> up.complete(Done.getInstance()));
    return up;
  }

  /** Graceful stop: leaves the cluster (handing shards over) and unbinds. */
  @Override
  public void close() {
    system.terminate();
    try {
      system.getWhenTerminated().toCompletableFuture().get(30, java.util.concurrent.TimeUnit.SECONDS);
    } catch (Exception e) {
      log.warn("scheduler did not stop in time: {}", e.toString());
    }
  }

  public static Duration defaultAskTimeout() {
    return Duration.ofSeconds(5);
  }
}
