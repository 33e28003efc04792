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

  PeerDaemonService(DaemonEnv env) {
    this.env = env;
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
