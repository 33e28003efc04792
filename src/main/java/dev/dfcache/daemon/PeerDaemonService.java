package dev.dfcache.daemon;

import static dev.dfcache.common.GrpcErrors.guard;

import com.google.protobuf.Empty;
import dev.dfcache.api.peer.PeerDaemon;
import dev.dfcache.api.scheduler.StatTaskRequest;
import dev.dfcache.common.TaskIds;
import java.util.concurrent.CompletionStage;

/** dfcache's own calls on the daemon's TCP port (beyond Dragonfly's dfdaemon.Daemon). */
final class PeerDaemonService implements PeerDaemon {
  private final DaemonEnv env;
  private final org.apache.pekko.actor.typed.ActorRef<PeerTaskManager.Command> downloads;

  PeerDaemonService(DaemonEnv env,
      org.apache.pekko.actor.typed.ActorRef<PeerTaskManager.Command> downloads) {
    this.env = env;
    this.downloads = downloads;
  }

  /**
   * The scheduler wants a copy here: download it through the usual P2P path, in the background
   * (the scheduler sees the copy arrive in the announce). Only a task the scheduler knows can be
   * downloaded, and each piece is verified, so a request from anyone else gains nothing.
   */
  @Override
  public CompletionStage<Empty> replicate(dev.dfcache.api.peer.ReplicateRequest in) {
    return guard(() -> {
      String taskId = TaskIds.validatedTaskId(in.getUrl(), in.getUrlMeta());
      if (!taskId.equals(in.getTaskId())) {
        throw dev.dfcache.common.DfException.badRequest("task_id does not match url and url_meta");
      }
      if (env.store().get(taskId).isEmpty()) {
        downloads.tell(new PeerTaskManager.Download(new dev.dfcache.storage.TaskOrigin(taskId,
                in.getUrl(), in.getUrlMeta().getTag(), in.getUrlMeta().getApplication(),
                dev.dfcache.api.common.TaskType.DfCache_VALUE)
                .withLifetime(0, Math.max(0, in.getReplicaCount())), 0,
            dev.dfcache.common.TransferProgress.NONE, env.system().ignoreRef()));
      }
      return java.util.concurrent.CompletableFuture.completedFuture(Empty.getDefaultInstance());
    });
  }

  /** Anyone may send the hint; the copy goes only if the scheduler confirms the deletion. */
  @Override
  public CompletionStage<Empty> taskDropped(StatTaskRequest in) {
    return guard(() -> {
      String taskId = TaskIds.requireValidTaskId(in.getTaskId());
      return NetworkDeletes.onHint(env, taskId).thenApply(v -> Empty.getDefaultInstance());
    });
  }
}
