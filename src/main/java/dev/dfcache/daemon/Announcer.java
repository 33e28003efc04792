package dev.dfcache.daemon;

import dev.dfcache.storage.StoredTask;
import java.util.List;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.KillSwitches;
import org.apache.pekko.stream.UniqueKillSwitch;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;

/**
 * Keeps the scheduler fleet's soft state in line with this daemon's disk: heartbeats so the
 * daemon stays a live parent, and announces every stored task at start, after the scheduler was
 * unreachable, and whenever the fleet's membership changed (task state may have been lost with a
 * crashed node); once at once and once more after the shards have settled. A new reason cancels
 * a round still running: its calls may be waiting on shards of a node that is gone.
 */
public final class Announcer extends AbstractBehavior<Announcer.Command> {

  public sealed interface Command {}

  private enum Tick implements Command { INSTANCE }

  private record HeartbeatAnswered(String generation, Throwable failure) implements Command {}

  private record AnnounceAll(String reason) implements Command {}

  private record AnnounceFinished(int round, int count, Throwable failure) implements Command {}

  /** Per task and round: rounds repeat on every fleet change, so each gives up early. */
  private static final int ROUND_ATTEMPTS = 2;

  private final DaemonEnv env;
  private final TimerScheduler<Command> timers;
  private String generation;
  private boolean schedulerWasDown;
  private UniqueKillSwitch running;
  private int round;

  static Behavior<Command> create(DaemonEnv env) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> new Announcer(ctx, timers, env)));
  }

  private Announcer(ActorContext<Command> ctx, TimerScheduler<Command> timers, DaemonEnv env) {
    super(ctx);
    this.env = env;
    this.timers = timers;
    timers.startTimerWithFixedDelay(Tick.INSTANCE, env.settings().heartbeatInterval());
    ctx.getSelf().tell(Tick.INSTANCE);
    ctx.getSelf().tell(new AnnounceAll("start"));
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Tick.class, t -> onTick())
        .onMessage(HeartbeatAnswered.class, this::onHeartbeat)
        .onMessage(AnnounceAll.class, this::onAnnounceAll)
        .onMessage(AnnounceFinished.class, this::onAnnounceFinished)
        .build();
  }

  private Behavior<Command> onTick() {
    getContext().getLog().debug("heartbeat tick");
    // the room left as last measured (a statfs: the GC timer measures it on the blocking pool,
    // and a heartbeat never waits behind the transfers there)
    long free = env.store().lastFreeBytes();
    getContext().pipeToSelf(free < 0
            ? env.gateway().heartbeat(env.store().all().size(),
                env.uploads().maxConcurrentUploads(), env.uploads().activeUploads())
            : env.gateway().heartbeat(env.store().all().size(),
                env.uploads().maxConcurrentUploads(), env.uploads().activeUploads(), free),
        (r, t) -> new HeartbeatAnswered(t == null ? r.getGeneration() : null, t));
    return this;
  }

  private Behavior<Command> onHeartbeat(HeartbeatAnswered h) {
    getContext().getLog().debug("heartbeat answered: generation {}, failure {}", h.generation(),
        h.failure() == null ? "none" : h.failure().toString());
    if (h.failure() != null) {
      if (!schedulerWasDown) {
        getContext().getLog().warn("scheduler unreachable: {}", h.failure().getMessage());
      }
      schedulerWasDown = true;
      return this;
    }
    String reason = null;
    if (schedulerWasDown) {
      reason = "scheduler reachable again";
    } else if (generation != null && !generation.equals(h.generation())) {
      reason = "scheduler fleet changed";
      env.gateway().fleetChanged();
    }
    schedulerWasDown = false;
    generation = h.generation();
    if (reason != null) {
      getContext().getSelf().tell(new AnnounceAll(reason));
      timers.startSingleTimer("settled", new AnnounceAll(reason + ", settled"),
          env.settings().reannounceSettle());
    }
    return this;
  }

  private Behavior<Command> onAnnounceAll(AnnounceAll a) {
    if (running != null) {
      running.shutdown();
      running = null;
    }
    List<StoredTask> tasks = List.copyOf(env.store().all());
    if (tasks.isEmpty()) {
      return this;
    }
    int thisRound = ++round;
    getContext().getLog().info("announcing {} tasks ({})", tasks.size(), a.reason());
    Pair<UniqueKillSwitch, CompletionStage<Done>> started = Source.from(tasks)
        .viaMat(KillSwitches.single(), Keep.right())
        .mapAsyncUnordered(8, t -> NetworkDeletes
            .announce(env, t.meta(), ROUND_ATTEMPTS, false)
            .exceptionally(e -> null))
        .toMat(Sink.ignore(), Keep.both())
        .run(env.system());
    running = started.first();
    getContext().pipeToSelf(started.second(),
        (Done d, Throwable t) -> new AnnounceFinished(thisRound, tasks.size(), t));
    return this;
  }

  private Behavior<Command> onAnnounceFinished(AnnounceFinished f) {
    if (f.round() == round) {
      running = null;
    }
    return this;
  }
}
