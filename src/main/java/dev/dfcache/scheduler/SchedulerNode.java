package dev.dfcache.scheduler;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import dev.dfcache.api.peer.PeerScheduler;
import dev.dfcache.api.peer.PeerSchedulerHandlerFactory;
import dev.dfcache.api.scheduler.Scheduler;
import dev.dfcache.api.scheduler.SchedulerHandlerFactory;
import dev.dfcache.cluster.ConsistentHashingAllocationStrategy;
import dev.dfcache.cluster.TaskShards;
import dev.dfcache.common.HostPort;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.apache.pekko.grpc.javadsl.ServiceHandler;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
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

  /** The cluster settings for these addresses, over scheduler.conf and application.conf. */
  public static Config clusterConfig(SchedulerSettings s, Config base) {
    List<String> seeds = s.seedNodes().stream()
        .map(h -> "pekko://" + SchedulerSettings.SYSTEM_NAME + "@" + h.host() + ":" + h.port())
        .toList();
    return ConfigFactory.empty()
        .withValue("pekko.remote.artery.canonical.hostname", ConfigValueFactory.fromAnyRef(s.host()))
        .withValue("pekko.remote.artery.canonical.port", ConfigValueFactory.fromAnyRef(s.clusterPort()))
        .withValue("pekko.cluster.seed-nodes", ConfigValueFactory.fromIterable(seeds))
        .withFallback(ConfigFactory.parseResources("scheduler.conf"))
        .withFallback(base)
        .resolve();
  }

  /** Starts a node; with no seed nodes and no join address it forms a cluster of its own. */
  public static SchedulerNode start(SchedulerSettings s, Config base, Address joinAddress) {
    Config config = clusterConfig(s, base);
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), SchedulerSettings.SYSTEM_NAME, config);
    try {
      FleetActivity activity = new FleetActivity();
      initSharding(system, s, activity);
      ActorRef<HostRegistry.Command> hosts = system.systemActorOf(
          HostRegistry.create(s.hostTtl(), s.forgetHostAfter()), "hosts", Props.empty());
      Cluster cluster = Cluster.get(system);
      if (joinAddress != null) {
        cluster.manager().tell(Join.create(joinAddress));
      } else if (s.seedNodes().isEmpty()) {
        cluster.manager().tell(Join.create(cluster.selfMember().address()));
      }
      SchedulerService service = new SchedulerService(system, hosts,
          new FleetGeneration(cluster, SchedulerSettings.ROLE), activity, s.askTimeout());
      ServerBinding binding = Http.get(system)
          .newServerAt(s.host(), s.grpcPort())
          .bind(ServiceHandler.concatOrNotFound(
              SchedulerHandlerFactory.partial(service, Scheduler.name, system),
              PeerSchedulerHandlerFactory.partial(service, PeerScheduler.name, system)))
          .toCompletableFuture()
          .get(30, java.util.concurrent.TimeUnit.SECONDS)
          // On SIGTERM stop taking calls first, so that peers go to another node while this one
          // hands its shards over, instead of asking a region that is shutting down.
          .addToCoordinatedShutdown(Duration.ofSeconds(5), system);
      log.info("scheduler gRPC on {}, cluster address {}", binding.localAddress(),
          cluster.selfMember().address());
      return new SchedulerNode(system, binding);
    } catch (Exception e) {
      system.terminate();
      throw new IllegalStateException("scheduler failed to start: " + e.getMessage(), e);
    }
  }

  static void initSharding(ActorSystem<?> system, SchedulerSettings s, FleetActivity activity) {
    system.systemActorOf(TaskHandoff.inbox(activity), TaskHandoff.INBOX, Props.empty());
    TaskHandoff handoff =
        new TaskHandoff(system, s.shards(), s.virtualNodes(), SchedulerSettings.ROLE);
    FleetActivity.watchMembership(system, activity);
    org.apache.pekko.actor.CoordinatedShutdown.get(system).addTask(
        org.apache.pekko.actor.CoordinatedShutdown.PhaseBeforeServiceUnbind(), "announce-handoff",
        () -> {
          handoff.announceLeaving();
          return java.util.concurrent.CompletableFuture.completedFuture(Done.getInstance());
        });
    ClusterSharding.get(system).init(
        Entity.of(TaskEntity.TYPE_KEY, ctx -> TaskEntity.create(ctx, handoff))
            .withRole(SchedulerSettings.ROLE)
            .withMessageExtractor(new TaskShards<TaskEntity.Command>(s.shards()))
            .withAllocationStrategy(new ConsistentHashingAllocationStrategy(s.virtualNodes()))
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
