package dev.dfcache.daemon;

import dev.dfcache.api.common.Code;
import dev.dfcache.common.Backoff;
import dev.dfcache.common.DfException;
import dev.dfcache.storage.StoredTask;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.actor.typed.ActorRef;
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
 * a round still running: its calls may be waiting on shards of a node that is gone. Each round
 * ends with one log line of its counts (announced, failed, postponed: no scheduler known yet,
 * or cut short by a newer round) and its first error; the tasks that failed are announced again
 * after a delay that grows while they keep failing. A daemon that knew no scheduler (given only
 * a manager that had none yet) announces everything as soon as it learns one.
 */
public final class Announcer extends AbstractBehavior<Announcer.Command> {

  public sealed interface Command {}

  private enum Tick implements Command { INSTANCE }

  private record HeartbeatAnswered(String generation, Throwable failure) implements Command {}

  /** @param only the tasks to announce; null = every stored one */
  private record AnnounceAll(String reason, Set<String> only) implements Command {
    AnnounceAll(String reason) {
      this(reason, null);
    }
  }

  private record AnnounceFinished(Round round, Throwable failure) implements Command {}

  private enum SchedulersKnown implements Command { INSTANCE }

  /** One round's tasks and what became of them (counted as their announces end). */
  private static final class Round {
    final int number;
    final String reason;
    final int tasks;
    final AtomicInteger announced = new AtomicInteger();
    final AtomicInteger noneKnown = new AtomicInteger();
    final AtomicInteger deleted = new AtomicInteger();
    final Set<String> failed = ConcurrentHashMap.newKeySet();
    final AtomicReference<String> firstError = new AtomicReference<>();

    Round(int number, String reason, int tasks) {
      this.number = number;
      this.reason = reason;
      this.tasks = tasks;
    }

    void ended(String taskId, Throwable t) {
      if (t == null) {
        announced.incrementAndGet();
        return;
      }
      DfException e = DfException.of(t);
      if (e instanceof NoSchedulerKnownException) {
        noneKnown.incrementAndGet();
      } else if (e.code() == Code.TaskDeleted) {
        deleted.incrementAndGet(); // an answer: the copy was dropped here
        return;
      } else {
        failed.add(taskId);
      }
      firstError.compareAndSet(null, e.getMessage());
    }

    /** Neither announced nor failed: no scheduler known, or not reached before the round ended. */
    int postponed() {
      return Math.max(0, tasks - announced.get() - failed.size() - deleted.get());
    }
  }

  /** Per task and round: rounds repeat on every fleet change, so each gives up early. */
  private static final int ROUND_ATTEMPTS = 2;
  /** The tasks that failed are announced again after 1 s, 2 s, 4 s... up to a minute. */
  private final Backoff retries = new Backoff(Duration.ofSeconds(1), Duration.ofMinutes(1));

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
    ActorRef<Command> self = ctx.getSelf();
    env.gateway().onSchedulersKnown(() -> self.tell(SchedulersKnown.INSTANCE));
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Tick.class, t -> onTick())
        .onMessage(HeartbeatAnswered.class, this::onHeartbeat)
        .onMessage(AnnounceAll.class, this::onAnnounceAll)
        .onMessage(AnnounceFinished.class, this::onAnnounceFinished)
        .onMessage(SchedulersKnown.class, k -> onSchedulersKnown())
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

  /**
   * The first schedulers became known (the manager named them): a heartbeat at once, whose
   * answer ("reachable again") announces everything that waited.
   */
  private Behavior<Command> onSchedulersKnown() {
    getContext().getLog().info("schedulers known: announcing what this daemon holds");
    schedulerWasDown = true;
    getContext().getSelf().tell(Tick.INSTANCE);
    return this;
  }

  private Behavior<Command> onAnnounceAll(AnnounceAll a) {
    if (running != null) {
      running.shutdown();
      running = null;
    }
    if (a.only() == null) {
      timers.cancel("retry"); // this round takes in what a retry would announce
    }
    long now = System.currentTimeMillis();
    List<StoredTask> tasks = env.store().all().stream()
        .filter(t -> !t.meta().expiredAt(now)) // gone already, whatever is still on disk
        .filter(t -> a.only() == null || a.only().contains(t.meta().taskId()))
        .toList();
    if (tasks.isEmpty()) {
      return this;
    }
    Round thisRound = new Round(++round, a.reason(), tasks.size());
    getContext().getLog().info("announcing {} tasks ({})", tasks.size(), a.reason());
    Pair<UniqueKillSwitch, CompletionStage<Done>> started = Source.from(tasks)
        .viaMat(KillSwitches.single(), Keep.right())
        .mapAsyncUnordered(8, t -> NetworkDeletes
            .announce(env, t.meta(), ROUND_ATTEMPTS, false)
            .handle((ok, e) -> {
              thisRound.ended(t.meta().taskId(), e);
              return Done.getInstance();
            }))
        .toMat(Sink.ignore(), Keep.both())
        .run(env.system());
    running = started.first();
    getContext().pipeToSelf(started.second(),
        (Done d, Throwable t) -> new AnnounceFinished(thisRound, t));
    return this;
  }

  /** One line per round; the tasks that failed are announced again after the next delay. */
  private Behavior<Command> onAnnounceFinished(AnnounceFinished f) {
    Round r = f.round();
    boolean latest = r.number == round;
    if (latest) {
      running = null;
    }
    int failed = r.failed.size();
    String counts = String.format("announce round %d (%s): %d tasks, %d announced, %d failed, "
            + "%d postponed%s", r.number, r.reason, r.tasks, r.announced.get(), failed,
        r.postponed(), r.deleted.get() == 0 ? ""
            : ", " + r.deleted.get() + " deleted from the network");
    String error = r.firstError.get() != null ? "; first error: " + r.firstError.get()
        : f.failure() != null ? "; " + f.failure() : "";
    if (!latest) {
      getContext().getLog().info("{}{} (cut short by a newer round)", counts, error);
    } else if (failed > 0) {
      Duration in = retries.failed();
      getContext().getLog().warn("{}{}; announcing the {} failed again in {} s", counts, error,
          failed, in.toSeconds());
      timers.startSingleTimer("retry",
          new AnnounceAll("retry " + retries.failures() + " of the failed",
              Set.copyOf(r.failed)), in);
    } else {
      if (r.noneKnown.get() == 0) {
        retries.succeeded();
      }
      // postponed for want of a scheduler: announced when one is known (onSchedulersKnown)
      getContext().getLog().info("{}{}", counts, error);
    }
    return this;
  }
}
