package dev.dfcache.scheduler;

import dev.dfcache.api.scheduler.StatTaskRequest;
import dev.dfcache.common.HostPort;
import dev.dfcache.common.PeerEndpoint;
import dev.dfcache.rpc.Channels;
import dev.dfcache.rpc.SchedulerRpc;
import java.time.Duration;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells the holders of a deleted task, on their peer gRPC ports, that it was deleted. A hint
 * only, sent once and not awaited: each holder confirms with the scheduler before it drops its
 * copy, and a holder that misses the hint (down, unreachable) hears it when it announces the
 * task again. With TLS the scheduler presents its own certificate, as a daemon would.
 */
final class HolderNotices implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(HolderNotices.class);
  private static final Duration DEADLINE = Duration.ofSeconds(5);

  private final Channels channels;

  HolderNotices(Channels channels) {
    this.channels = channels;
  }

  void taskDeleted(String taskId, List<PeerEndpoint> holders) {
    StatTaskRequest hint = StatTaskRequest.newBuilder().setTaskId(taskId).build();
    for (PeerEndpoint holder : holders) {
      SchedulerRpc.TASK_DROPPED.callAsync(
              channels.get(new HostPort(holder.ip(), holder.rpcPort())), hint, DEADLINE)
          .whenComplete((ok, t) -> {
            if (t != null) {
              log.info("task {}: holder {} not told of the delete ({}); it drops its copy when "
                  + "it announces the task again", taskId, holder.id(), t.getMessage());
            }
          });
    }
  }

  @Override
  public void close() {
    channels.close();
  }
}
