package dev.dfcache.scheduler;

import dev.dfcache.cluster.CborSerializable;
import java.time.Duration;
import java.util.List;
import java.util.TreeSet;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;
import org.apache.pekko.cluster.sharding.ShardRegion;
import org.apache.pekko.cluster.sharding.typed.ClusterShardingQuery;
import org.apache.pekko.cluster.sharding.typed.GetShardRegionState;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;

/**
 * One per scheduler node, found through the receptionist: names the task entities this node
 * hosts, a page at a time, for fleet-wide listings ({@link FleetTaskListing}). Sharding only
 * tells each node its own entities, so a listing asks every node's directory.
 */
public final class TaskDirectory {
  public static final ServiceKey<ListLocal> KEY =
      ServiceKey.create(ListLocal.class, "dfcache-task-directory");

  /** The first {@code limit} task ids of this node greater than {@code after}, in order. */
  public record ListLocal(String after, int limit, ActorRef<LocalIds> replyTo)
      implements CborSerializable {}

  public record LocalIds(List<String> ids) implements CborSerializable {}

  private TaskDirectory() {}

  public static Behavior<ListLocal> create() {
    return Behaviors.setup(ctx -> {
      ctx.getSystem().receptionist().tell(Receptionist.register(KEY, ctx.getSelf()));
      ClusterSharding sharding = ClusterSharding.get(ctx.getSystem());
      return Behaviors.receiveMessage(m -> {
        // The shard region answers asynchronously; the reply needs no state of this actor.
        AskPattern.<ClusterShardingQuery, ShardRegion.CurrentShardRegionState>ask(
                sharding.shardState(),
                replyTo -> new GetShardRegionState(TaskEntity.TYPE_KEY, replyTo),
                Duration.ofSeconds(5), ctx.getSystem().scheduler())
            .whenComplete((state, failure) -> {
              if (failure != null) {
                m.replyTo().tell(new LocalIds(List.of()));
                return;
              }
              m.replyTo().tell(new LocalIds(firstAfter(state, m.after(), m.limit())));
            });
        return Behaviors.same();
      });
    });
  }

  static List<String> firstAfter(ShardRegion.CurrentShardRegionState state, String after,
      int limit) {
    TreeSet<String> ids = new TreeSet<>();
    for (ShardRegion.ShardState shard : state.getShards()) {
      for (String id : shard.getEntityIds()) {
        if (id.compareTo(after) > 0) {
          ids.add(id);
          if (ids.size() > limit) {
            ids.pollLast();
          }
        }
      }
    }
    return List.copyOf(ids);
  }
}
