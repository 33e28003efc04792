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
 * The scheduler's calls to daemons, on their peer gRPC ports (dfcache.PeerDaemon), sent once and
 * not awaited: hints to the holders of a deleted task (each confirms with the scheduler before it
 * drops its copy; one that misses the hint hears it when it announces the task again), and asks
 * for replicas (the task entity asks another host if no copy appears). With TLS the scheduler
 * presents its own certificate, as a daemon would.
 */
final class DaemonCalls implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(DaemonCalls.class);
  private static final Duration DEADLINE = Duration.ofSeconds(5);

  private final Channels channels;

  DaemonCalls(Channels channels) {
    this.channels = channels;
  }

  /** @param missed run once if some holder could not be told (it is down, or unreachable) */
  void taskDeleted(String taskId, List<PeerEndpoint> holders, Runnable missed) {
    java.util.concurrent.atomic.AtomicBoolean once = new java.util.concurrent.atomic.AtomicBoolean();
    StatTaskRequest hint = StatTaskRequest.newBuilder().setTaskId(taskId).build();
    for (PeerEndpoint holder : holders) {
      SchedulerRpc.TASK_DROPPED.callAsync(
              channels.get(new HostPort(holder.ip(), holder.rpcPort())), hint, DEADLINE)
          .whenComplete((ok, t) -> {
            if (t != null) {
              log.info("task {}: holder {} not told of the delete ({}); it drops its copy when "
                  + "it announces the task again", taskId, holder.id(), t.getMessage());
              if (once.compareAndSet(false, true)) {
                missed.run();
              }
            }
          });
    }
  }

  /** Asks a host to download the task (its peer API at {@code ip:rpcPort}). */
  void replicate(String hostId, String ip, int rpcPort,
      dev.dfcache.api.peer.ReplicateRequest request) {
    SchedulerRpc.REPLICATE.callAsync(channels.get(new HostPort(ip, rpcPort)), request, DEADLINE)
        .whenComplete((ok, t) -> {
          if (t != null) {
            log.info("task {}: host {} not asked for a replica ({})", request.getTaskId(), hostId,
                t.getMessage());
          }
        });
  }

  @Override
  public void close() {
    channels.close();
  }
}
