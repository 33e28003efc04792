package dev.dfcache.scheduler;

import java.time.Duration;
import java.util.Set;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.cluster.sharding.ShardRegion;
import org.apache.pekko.cluster.sharding.typed.ClusterShardingQuery;
import org.apache.pekko.cluster.sharding.typed.GetShardRegionState;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Removes hosts whose heartbeats stopped long ago (forget-host-after) from every task entity on
 * this node: the entities are listed through the shard region, each is told once. A task whose
 * last peer goes passivates, so a fleet whose peers come and go does not keep their traces.
 * Every node sweeps its own entities (each node forgets the same dead hosts, from the replicated
 * heartbeats).
 */
final class DeadPeerSweep {
  private static final Logger log = LoggerFactory.getLogger(DeadPeerSweep.class);

  private DeadPeerSweep() {}

  static void forget(ActorSystem<?> system, Set<String> deadHosts) {
    if (deadHosts.isEmpty()) {
      return;
    }
    ClusterSharding sharding = ClusterSharding.get(system);
    AskPattern.<ClusterShardingQuery, ShardRegion.CurrentShardRegionState>ask(
            sharding.shardState(),
            replyTo -> new GetShardRegionState(TaskEntity.TYPE_KEY, replyTo),
            Duration.ofSeconds(10), system.scheduler())
        .whenComplete((state, failure) -> {
          if (failure != null) {
            log.warn("could not list the task entities to forget {} dead hosts: {}",
                deadHosts.size(), failure.getMessage());
            return;
          }
          int told = 0;
          for (ShardRegion.ShardState shard : state.getShards()) {
            for (String taskId : shard.getEntityIds()) {
              sharding.entityRefFor(TaskEntity.TYPE_KEY, taskId)
                  .tell(new TaskEntity.ForgetPeers(deadHosts));
              told++;
            }
          }
          log.info("forgot {} dead hosts in the {} task entities of this node", deadHosts.size(),
              told);
        });
  }
}
