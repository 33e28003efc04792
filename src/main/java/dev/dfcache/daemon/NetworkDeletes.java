package dev.dfcache.daemon;

import com.google.protobuf.Empty;
import dev.dfcache.api.common.Code;
import dev.dfcache.common.DfException;
import dev.dfcache.storage.TaskMeta;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A task deleted from the whole network, as this daemon takes part in it: it asks the scheduler
 * to delete a task everywhere, and drops its own copy when the scheduler says the task was
 * deleted, whether it hears so in a hint (the scheduler tells the holders it knows) or in the
 * answer to an announce (a holder that was down at the time re-announces when it returns).
 * Only the scheduler's word drops a copy: a hint makes the daemon ask, nothing more.
 */
final class NetworkDeletes {
  private static final Logger log = LoggerFactory.getLogger(NetworkDeletes.class);

  private NetworkDeletes() {}

  /**
   * Announces a copy; when the scheduler answers that the task was deleted, drops the copy and
   * fails with TaskDeleted.
   *
   * @param fresh imported just now: the copy outlives an earlier delete
   */
  static CompletionStage<Empty> announce(DaemonEnv env, TaskMeta meta, int attempts,
      boolean fresh) {
    return env.gateway().announce(meta, attempts, fresh).handle((ok, t) -> {
      if (t == null) {
        return CompletableFuture.completedFuture(ok);
      }
      DfException e = DfException.of(t);
      if (e.code() != Code.TaskDeleted) {
        return CompletableFuture.<Empty>failedFuture(e);
      }
      return dropHere(env, meta.taskId(), "the scheduler says it was deleted from the network")
          .thenCompose(v -> CompletableFuture.<Empty>failedFuture(e));
    }).thenCompose(s -> s);
  }

  /** A hint that the task was deleted: asks the scheduler, drops the copy if so. */
  static CompletionStage<Void> onHint(DaemonEnv env, String taskId) {
    if (env.store().get(taskId).isEmpty()) {
      return CompletableFuture.completedFuture(null);
    }
    return env.gateway().isDeleted(taskId).thenCompose(deleted -> deleted
        ? dropHere(env, taskId, "deleted from the network")
        : CompletableFuture.completedFuture(null));
  }

  /** Removes this node's copy (a download of it in progress fails cleanly, as on delete). */
  static CompletionStage<Void> dropHere(DaemonEnv env, String taskId, String why) {
    return CompletableFuture.runAsync(() -> {
      if (env.store().delete(taskId)) {
        log.info("task {} dropped: {}", taskId, why);
      }
    }, env.blocking());
  }
}
