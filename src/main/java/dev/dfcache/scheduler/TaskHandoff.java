package dev.dfcache.scheduler;

import dev.dfcache.cluster.CborSerializable;
import dev.dfcache.cluster.ShardPlacement;
import dev.dfcache.cluster.TaskShards;
import java.util.HashMap;
import java.util.Map;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.typed.Cluster;

/**
 * Carries a task entity's state to its next home when its shard moves gracefully (a rebalance, or
 * this node leaving). Sending it through sharding from the old node is not enough: the leaving
 * node's region buffers the message and may stop before it can deliver it, and sharding drops
 * messages buffered across two hand-offs of a shard. So the state goes straight to an inbox on
 * the node that the consistent-hash ring names as the shard's next owner, and that node's region,
 * which is staying, delivers it once the shard is allocated.
 */
public final class TaskHandoff {
  static final String INBOX = "task-state-inbox";

  /** What the inbox takes: task state, or word that a node is about to hand its shards over. */
  public sealed interface InboxMessage extends CborSerializable {}

  /** The state of one task on its way to another node. */
  public record Deliver(String taskId, TaskEntity.RestoreState state) implements InboxMessage {}

  /** Sent to every other node by a node that starts shutting down, before its hand-off. */
  public record HandoffStarting(String from) implements InboxMessage {}

  private final ActorSystem<?> system;
  private final Cluster cluster;
  private final int shards;
  private final String role;
  /** Computed once per set of candidate nodes (one hand-off), not once per task. */
  private final ShardPlacement<Address> placement;

  public TaskHandoff(ActorSystem<?> system, int shards, int virtualNodes, String role) {
    this.system = system;
    this.cluster = Cluster.get(system);
    this.shards = shards;
    this.placement = new ShardPlacement<>(shards, virtualNodes);
    this.role = role;
  }

  /** The inbox every scheduler node runs under /system/task-state-inbox. */
  public static Behavior<InboxMessage> inbox(FleetActivity activity) {
    return Behaviors.setup(ctx -> {
      ClusterSharding sharding = ClusterSharding.get(ctx.getSystem());
      return Behaviors.receiveMessage(m -> {
        activity.touch();
        if (m instanceof Deliver d) {
          sharding.entityRefFor(TaskEntity.TYPE_KEY, d.taskId()).tell(d.state());
        }
        return Behaviors.same();
      });
    });
  }

  /** Tells every other scheduler node that this one is about to hand its shards over. */
  void announceLeaving() {
    Address self = cluster.selfMember().address();
    for (Member m : cluster.state().getMembers()) {
      if (m.hasRole(role) && !m.address().equals(self)) {
        Adapter.toClassic(system).actorSelection(m.address() + "/system/" + INBOX)
            .tell(new HandoffStarting(self.toString()), ActorRef.noSender());
      }
    }
  }

  void send(String taskId, TaskEntity.RestoreState state) {
    Address target = nextOwner(taskId);
    if (target == null) {
      ClusterSharding.get(system).entityRefFor(TaskEntity.TYPE_KEY, taskId).tell(state);
      return;
    }
    Adapter.toClassic(system)
        .actorSelection(target + "/system/" + INBOX)
        .tell(new Deliver(taskId, state), ActorRef.noSender());
  }

  /**
   * The node that will own the task's shard: its placement among the reachable Up members,
   * without this node when it is shutting down. Null when that is this node (nothing moves).
   */
  Address nextOwner(String taskId) {
    ClusterEvent.CurrentClusterState state = cluster.state();
    Address self = cluster.selfMember().address();
    boolean leaving = CoordinatedShutdown.get(Adapter.toClassic(system)).getShutdownReason()
        .isPresent();
    Map<String, Address> candidates = new HashMap<>();
    for (Member m : state.getMembers()) {
      boolean usable = m.status() == MemberStatus.up() && m.hasRole(role)
          && !state.getUnreachable().contains(m) && !(leaving && m.address().equals(self));
      if (usable) {
        candidates.put(m.address().toString(), m.address());
      }
    }
    if (candidates.isEmpty()) {
      return null;
    }
    Address owner = placement.of(candidates).get(TaskShards.shardOf(taskId, shards));
    return owner == null || owner.equals(self) ? null : owner;
  }
}
