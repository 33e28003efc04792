package dev.dfcache.scheduler;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;
import org.apache.pekko.actor.typed.javadsl.Adapter;

/**
 * Whether this node serves gRPC: true once the gRPC port is bound, false again as soon as a
 * coordinated shutdown (SIGTERM) begins, so that the node leaves the Service's endpoints before it
 * hands its shards over and exits. Read by the readiness check {@link Check} of pekko-management
 * (next to the cluster-membership and sharding checks) and by GET /healthz on the gRPC port.
 */
public final class SchedulerHealth implements Extension {
  private final AtomicBoolean serving = new AtomicBoolean();

  public static final ExtensionId<SchedulerHealth> ID = new ExtensionId<>() {
    @Override
    public SchedulerHealth createExtension(ActorSystem<?> system) {
      return new SchedulerHealth();
    }
  };

  public static SchedulerHealth get(ActorSystem<?> system) {
    return system.registerExtension(ID);
  }

  public boolean serving() {
    return serving.get();
  }

  void setServing(boolean value) {
    serving.set(value);
  }

  /** A pekko-management readiness check: {@code readiness-checks.dfcache-scheduler = FQCN}. */
  public static final class Check implements Supplier<CompletionStage<Boolean>> {
    private final SchedulerHealth health;

    public Check(org.apache.pekko.actor.ActorSystem system) {
      this.health = SchedulerHealth.get(Adapter.toTyped(system));
    }

    @Override
    public CompletionStage<Boolean> get() {
      return CompletableFuture.completedFuture(health.serving());
    }
  }
}
