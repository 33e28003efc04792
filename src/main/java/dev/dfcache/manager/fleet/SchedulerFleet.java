package dev.dfcache.manager.fleet;

import com.google.protobuf.Message;
import dev.dfcache.api.peer.DropTaskRequest;
import dev.dfcache.api.peer.TaskPage;
import dev.dfcache.api.peer.TaskPageRequest;
import dev.dfcache.api.peer.TaskSummary;
import dev.dfcache.api.scheduler.StatTaskRequest;
import dev.dfcache.common.DfException;
import dev.dfcache.common.HostPort;
import dev.dfcache.api.common.Code;
import dev.dfcache.manager.db.ComponentRepository;
import dev.dfcache.manager.db.ComponentRow;
import dev.dfcache.manager.db.Database;
import dev.dfcache.rpc.Channels;
import dev.dfcache.rpc.SchedulerRpc;
import dev.dfcache.rpc.UnaryMethod;
import io.grpc.Status;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The manager's calls to a cluster's schedulers (the console's task views and delete jobs).
 * Any active scheduler of the cluster will do: each routes a task to the node that owns it. A
 * scheduler that cannot be reached is skipped for the next; any other answer is the answer.
 */
public final class SchedulerFleet implements AutoCloseable {
  private static final Duration DEADLINE = Duration.ofSeconds(10);

  private final Database db;
  private final Channels channels;

  /** @param tls the manager's client context for mutual TLS, or null for plaintext */
  public SchedulerFleet(Database db, io.grpc.netty.shaded.io.netty.handler.ssl.SslContext tls) {
    this.db = db;
    this.channels = new Channels(tls);
  }

  /** A task with its holders, or empty when no peer of the cluster holds it. */
  public CompletionStage<Optional<TaskSummary>> task(long clusterId, String taskId) {
    return call(clusterId, SchedulerRpc.GET_TASK,
        StatTaskRequest.newBuilder().setTaskId(taskId).build())
        .thenApply(Optional::of)
        .exceptionally(t -> {
          if (DfException.of(t).code() == Code.PeerTaskNotFound) {
            return Optional.empty();
          }
          throw failure(t);
        });
  }

  /** One page of the tasks the cluster's schedulers know, in task id order. */
  public CompletionStage<TaskPage> tasks(long clusterId, String pageToken, int pageSize,
      boolean withHolders) {
    return call(clusterId, SchedulerRpc.LIST_TASKS, TaskPageRequest.newBuilder()
        .setPageToken(pageToken).setPageSize(pageSize).setWithHolders(withHolders).build());
  }

  /**
   * Deletes the task from the network: the scheduler forgets its holders, remembers the
   * deletion and tells each holder, which drops its copy.
   */
  public CompletionStage<Void> deleteTask(long clusterId, String taskId) {
    return call(clusterId, SchedulerRpc.DROP_TASK,
        DropTaskRequest.newBuilder().setTaskId(taskId).build()).thenApply(empty -> null);
  }

  private <Q extends Message, R extends Message> CompletionStage<R> call(long clusterId,
      UnaryMethod<Q, R> method, Q request) {
    return db.query(c -> ComponentRepository.schedulers(c, clusterId)).thenCompose(rows -> {
      long now = System.currentTimeMillis();
      List<HostPort> active = rows.stream().filter(r -> r.active(now))
          .map(r -> new HostPort(r.ip(), r.port())).toList();
      if (active.isEmpty()) {
        throw new NoSchedulerException("no active scheduler in cluster " + clusterId);
      }
      return callFirst(active, 0, method, request);
    });
  }

  private <Q extends Message, R extends Message> CompletionStage<R> callFirst(
      List<HostPort> schedulers, int index, UnaryMethod<Q, R> method, Q request) {
    HostPort target = schedulers.get(index);
    return method.callAsync(channels.get(target), request, DEADLINE)
        .handle((reply, t) -> {
          if (t == null) {
            return CompletableFuture.completedFuture(reply);
          }
          if (unreachable(t) && index + 1 < schedulers.size()) {
            channels.resetBackoff(target);
            return callFirst(schedulers, index + 1, method, request);
          }
          if (unreachable(t)) {
            return CompletableFuture.<R>failedFuture(new NoSchedulerException(
                "no scheduler of the cluster answered (last: " + target + ": "
                    + Status.fromThrowable(t).getDescription() + ")"));
          }
          return CompletableFuture.<R>failedFuture(t);
        })
        .thenCompose(stage -> stage);
  }

  private static boolean unreachable(Throwable t) {
    Status.Code code = Status.fromThrowable(t).getCode();
    return code == Status.Code.UNAVAILABLE || code == Status.Code.DEADLINE_EXCEEDED;
  }

  private static RuntimeException failure(Throwable t) {
    Throwable cause = t instanceof java.util.concurrent.CompletionException && t.getCause() != null
        ? t.getCause() : t;
    return cause instanceof RuntimeException r ? r : new IllegalStateException(cause);
  }

  /** No scheduler of the cluster is active, or none answered: the console says so (503). */
  public static final class NoSchedulerException extends RuntimeException {
    public NoSchedulerException(String message) {
      super(message, null, false, false);
    }
  }

  @Override
  public void close() {
    channels.close();
  }
}
