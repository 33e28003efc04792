package dev.dfcache.daemon;

import dev.dfcache.common.DfException;
import dev.dfcache.common.TransferProgress;
import dev.dfcache.storage.StoredTask;
import dev.dfcache.storage.TaskOrigin;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;

/**
 * The downloads this daemon runs, one per task: concurrent exports of a task that is not here yet
 * share a single download and all hear when it ends; those that watch its progress all watch
 * the one download's.
 */
public final class PeerTaskManager extends AbstractBehavior<PeerTaskManager.Command> {

  public sealed interface Command {}

  /**
   * Download a task unless it is downloading already; {@code limit} is bytes/s, 0 = none.
   * {@code progress} is made to follow the download's ({@link TransferProgress#NONE} if unwatched).
   */
  public record Download(TaskOrigin origin, double limit, TransferProgress progress,
      ActorRef<Result> replyTo) implements Command {}

  private record Finished(String taskId, StoredTask task, Throwable failure) implements Command {}

  /** The stored task, or why the download failed. */
  public record Result(StoredTask task, DfException failure) {}

  private final DaemonEnv env;
  private final Map<String, List<ActorRef<Result>>> waiting = new HashMap<>();
  /** The running downloads' progress, for exports that join one. */
  private final Map<String, TransferProgress> progress = new HashMap<>();

  static Behavior<Command> create(DaemonEnv env) {
    return Behaviors.setup(ctx -> new PeerTaskManager(ctx, env));
  }

  private PeerTaskManager(ActorContext<Command> ctx, DaemonEnv env) {
    super(ctx);
    this.env = env;
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Download.class, this::onDownload)
        .onMessage(Finished.class, this::onFinished)
        .build();
  }

  private Behavior<Command> onDownload(Download d) {
    String taskId = d.origin().taskId();
    List<ActorRef<Result>> waiters = waiting.get(taskId);
    if (waiters != null) {
      waiters.add(d.replyTo());
      d.progress().follow(progress.get(taskId));
      return this;
    }
    waiters = new ArrayList<>();
    waiters.add(d.replyTo());
    waiting.put(taskId, waiters);
    TransferProgress counted = new TransferProgress();
    progress.put(taskId, counted);
    d.progress().follow(counted);
    getContext().getLog().info("downloading task {} from peers", taskId);
    getContext().pipeToSelf(new PeerTaskDownload(env, d.origin(), d.limit(), counted).run(),
        (task, failure) -> new Finished(taskId, task, failure));
    return this;
  }

  private Behavior<Command> onFinished(Finished f) {
    Result result = new Result(f.task(), f.failure() == null ? null : DfException.of(f.failure()));
    if (f.failure() != null) {
      getContext().getLog().warn("download of task {} failed: {}", f.taskId(),
          result.failure().getMessage());
    }
    progress.remove(f.taskId());
    for (ActorRef<Result> waiter : waiting.remove(f.taskId())) {
      waiter.tell(result);
    }
    return this;
  }
}
