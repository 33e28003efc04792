package dev.dfcache.scheduler;

import dev.dfcache.metrics.SchedulerMetrics;
import java.time.Duration;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.sharding.ShardRegion;
import org.apache.pekko.cluster.sharding.typed.GetShardRegionState;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.typed.Cluster;

/**
 * Refreshes the gauges that describe this node's share of the fleet (shards, task entities, Up
 * members) every few seconds by asking the local shard region, so that a scrape never waits.
 */
final class SchedulerMetricsPoller {
  private SchedulerMetricsPoller() {}

  sealed interface Command {}

  private enum Tick implements Command { INSTANCE }

  private record RegionState(ShardRegion.CurrentShardRegionState state) implements Command {}

  static Behavior<Command> create(Duration interval) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> {
      SchedulerMetrics metrics = SchedulerMetrics.get(ctx.getSystem());
      Cluster cluster = Cluster.get(ctx.getSystem());
      ActorRef<ShardRegion.CurrentShardRegionState> adapter =
          ctx.messageAdapter(ShardRegion.CurrentShardRegionState.class, RegionState::new);
      timers.startTimerWithFixedDelay(Tick.INSTANCE, Duration.ZERO, interval);
      return Behaviors.receive(Command.class)
          .onMessage(Tick.class, t -> {
            ClusterSharding.get(ctx.getSystem()).shardState()
                .tell(new GetShardRegionState(TaskEntity.TYPE_KEY, adapter));
            int up = 0;
            for (Member m : cluster.state().getMembers()) {
              if (m.status() == MemberStatus.up() && m.hasRole(SchedulerSettings.ROLE)) {
                up++;
              }
            }
            metrics.members.set(up);
            return Behaviors.same();
          })
          .onMessage(RegionState.class, r -> {
            metrics.shards.set(r.state().getShards().size());
            metrics.tasks.set(r.state().getShards().stream()
                .mapToInt(s -> s.getEntityIds().size()).sum());
            return Behaviors.same();
          })
          .build();
    }));
  }
}
