package dev.dfcache.scheduler;

import dev.dfcache.cluster.CborSerializable;
import java.time.Duration;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Scheduler;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.cluster.sharding.ShardRegion;
import org.apache.pekko.cluster.sharding.typed.ClusterShardingQuery;
import org.apache.pekko.cluster.sharding.typed.GetShardRegionState;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;

/**
 * One per scheduler node, found through the receptionist: names the task entities this node
 * hosts, a page at a time, for fleet-wide listings ({@link FleetTaskListing}). Sharding only
 * tells each node its own entities, so a listing asks every node's directory.
 *
 * <p>The shard region answers with the shards that replied in time and names the others as
 * failed (a busy node): their entities are missing from the answer. Such an answer is asked
 * again, and if still partial the directory replies with an error, because a page without those
 * tasks would look complete and be wrong.
 */
public final class TaskDirectory {
  public static final ServiceKey<ListLocal> KEY =
      ServiceKey.create(ListLocal.class, "dfcache-task-directory");
  /** Region queries per listing before a partial answer is given up on. */
  static final int ATTEMPTS = 2;
  /** Above the region's own per-shard timeout (sharding.shard-region-query-timeout, 3 s). */
  private static final Duration REGION_QUERY_TIMEOUT = Duration.ofMillis(3500);

  /**
   * The first {@code limit} task ids of this node greater than {@code after}, in order; an error
   * when some of this node's shards did not say which entities they hold.
   */
  public record ListLocal(String after, int limit, ActorRef<StatusReply<LocalIds>> replyTo)
      implements CborSerializable {}

  public record LocalIds(List<String> ids) implements CborSerializable {}

  private TaskDirectory() {}

  public static Behavior<ListLocal> create() {
    return Behaviors.setup(ctx -> {
      ctx.getSystem().receptionist().tell(Receptionist.register(KEY, ctx.getSelf()));
      ClusterSharding sharding = ClusterSharding.get(ctx.getSystem());
      Scheduler scheduler = ctx.getSystem().scheduler();
      return Behaviors.receiveMessage(m -> {
        // The shard region answers asynchronously; the reply needs no state of this actor.
        completeState(sharding, scheduler, ATTEMPTS).whenComplete((state, failure) -> {
          if (failure != null) {
            m.replyTo().tell(StatusReply.error("the shard region did not answer: " + failure));
          } else if (!state.getFailed().isEmpty()) {
            m.replyTo().tell(StatusReply.error(state.getFailed().size()
                + " shard(s) did not say which tasks they hold (node busy)"));
          } else {
            m.replyTo().tell(StatusReply.success(
                new LocalIds(firstAfter(state, m.after(), m.limit()))));
          }
        });
        return Behaviors.same();
      });
    });
  }

  /** The region's state, asked again (up to {@code attempts} in all) while some shards fail. */
  private static CompletionStage<ShardRegion.CurrentShardRegionState> completeState(
      ClusterSharding sharding, Scheduler scheduler, int attempts) {
    return AskPattern.<ClusterShardingQuery, ShardRegion.CurrentShardRegionState>ask(
            sharding.shardState(),
            replyTo -> new GetShardRegionState(TaskEntity.TYPE_KEY, replyTo),
            REGION_QUERY_TIMEOUT, scheduler)
        .thenCompose(state -> state.getFailed().isEmpty() || attempts <= 1
            ? CompletableFuture.completedFuture(state)
            : completeState(sharding, scheduler, attempts - 1));
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
