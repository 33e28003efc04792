package dev.dfcache.scheduler;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Subscribe;

/**
 * When the scheduler fleet last changed as this node saw it: a membership event, another node
 * announcing that it is about to hand its shards over, or task state arriving from one. For a
 * short while after that, "unknown task" may only mean "its state has not arrived yet".
 */
public final class FleetActivity {
  private final AtomicLong lastChangeNanos = new AtomicLong(System.nanoTime());

  public void touch() {
    lastChangeNanos.set(System.nanoTime());
  }

  public boolean changedWithin(Duration d) {
    return System.nanoTime() - lastChangeNanos.get() < d.toNanos();
  }

  /** Keeps {@code activity} up to date with this node's view of the cluster membership. */
  static void watchMembership(ActorSystem<?> system, FleetActivity activity) {
    Behavior<ClusterEvent.ClusterDomainEvent> watcher = Behaviors.setup(ctx -> {
      Cluster.get(ctx.getSystem()).subscriptions()
          .tell(Subscribe.create(ctx.getSelf(), ClusterEvent.ClusterDomainEvent.class));
      return Behaviors.receiveMessage(e -> {
        if (e instanceof ClusterEvent.MemberEvent || e instanceof ClusterEvent.ReachabilityEvent) {
          activity.touch();
        }
        return Behaviors.same();
      });
    });
    system.systemActorOf(watcher, "fleet-activity", Props.empty());
  }
}
