package dev.dfcache.daemon;

import com.google.protobuf.Empty;
import dev.dfcache.api.common.Code;
import dev.dfcache.api.common.UrlMeta;
import dev.dfcache.api.peer.FindParentsRequest;
import dev.dfcache.api.peer.FindParentsResponse;
import dev.dfcache.api.peer.HeartbeatRequest;
import dev.dfcache.api.peer.HeartbeatResponse;
import dev.dfcache.api.peer.ReportBadParentRequest;
import dev.dfcache.api.peer.ReportPiecesRequest;
import dev.dfcache.api.scheduler.AnnounceTaskRequest;
import dev.dfcache.api.scheduler.PeerTarget;
import dev.dfcache.api.scheduler.StatTaskRequest;
import dev.dfcache.api.scheduler.Task;
import dev.dfcache.common.DfException;
import dev.dfcache.common.HostPort;
import dev.dfcache.common.PeerEndpoint;
import dev.dfcache.rpc.Channels;
import dev.dfcache.rpc.SchedulerRpc;
import dev.dfcache.rpc.UnaryMethod;
import dev.dfcache.storage.TaskMeta;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The daemon's way to the scheduler fleet. Any scheduler node serves any task, so a call that
 * cannot reach one node goes to the next; calls that must land (announces) are retried with
 * backoff. Business errors (unknown task, bad request) are returned at once.
 */
public final class SchedulerGateway implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(SchedulerGateway.class);

  private final List<HostPort> schedulers;
  private final Channels channels = new Channels();
  private final AtomicInteger current = new AtomicInteger();
  private final Duration callTimeout;
  private final PeerEndpoint self;

  public SchedulerGateway(List<HostPort> schedulers, Duration callTimeout, PeerEndpoint self) {
    if (schedulers.isEmpty()) {
      throw new IllegalArgumentException("at least one scheduler address is needed");
    }
    this.schedulers = List.copyOf(schedulers);
    this.callTimeout = callTimeout;
    this.self = self;
  }

  /** One call, tried on each scheduler node in turn until one is reachable. */
  <Q extends com.google.protobuf.Message, R extends com.google.protobuf.Message>
      CompletionStage<R> call(UnaryMethod<Q, R> method, Q request) {
    return tryFrom(method, request, current.get(), schedulers.size());
  }

  private <Q extends com.google.protobuf.Message, R extends com.google.protobuf.Message>
      CompletionStage<R> tryFrom(UnaryMethod<Q, R> method, Q request, int index, int left) {
    HostPort target = schedulers.get(Math.floorMod(index, schedulers.size()));
    return method.callAsync(channels.get(target), request, callTimeout)
        .handle((r, t) -> {
          if (t == null) {
            return CompletableFuture.completedFuture(r);
          }
          DfException e = DfException.of(t);
          if (isUnreachable(e) && left <= 1) {
            return CompletableFuture.<R>failedFuture(new DfException(e.code(),
                "no scheduler reachable (" + schedulers + "): " + e.getMessage()));
          }
          if (!isUnreachable(e)) {
            return CompletableFuture.<R>failedFuture(e);
          }
          log.debug("scheduler {} unreachable for {}: {}", target, method.fullName(), e.getMessage());
          channels.resetBackoff(target);
          current.compareAndSet(index, index + 1);
          return tryFrom(method, request, index + 1, left - 1);
        })
        .thenCompose(s -> s);
  }

  /** A call that should land: repeated with backoff while the fleet is unreachable or moving. */
  <Q extends com.google.protobuf.Message, R extends com.google.protobuf.Message>
      CompletionStage<R> callWithRetry(UnaryMethod<Q, R> method, Q request, int attempts) {
    return call(method, request).handle((r, t) -> {
      if (t == null) {
        return CompletableFuture.completedFuture(r);
      }
      DfException e = DfException.of(t);
      if (attempts <= 1 || !isTransient(e)) {
        return CompletableFuture.<R>failedFuture(e);
      }
      long delayMs = Math.min(2000, 100L << Math.min(5, Math.max(0, 6 - attempts)));
      return CompletableFuture.supplyAsync(() -> null,
              CompletableFuture.delayedExecutor(delayMs, TimeUnit.MILLISECONDS))
          .thenCompose(ignored -> callWithRetry(method, request, attempts - 1));
    }).thenCompose(s -> s);
  }

  static boolean isUnreachable(DfException e) {
    return e.code() == Code.ServerUnavailable || e.code() == Code.RequestTimeOut;
  }

  /** Failures another attempt may cure: unreachable nodes, and asks lost while shards move. */
  static boolean isTransient(DfException e) {
    return isUnreachable(e) || e.code() == Code.UnknownError || e.code() == Code.SchedError;
  }

  public CompletionStage<Empty> announce(TaskMeta meta, int attempts) {
    AnnounceTaskRequest req = AnnounceTaskRequest.newBuilder()
        .setTaskId(meta.taskId())
        .setUrl(meta.url())
        .setUrlMeta(UrlMeta.newBuilder().setTag(meta.tag()).setApplication(meta.application()))
        .setPeerHost(self.toProto())
        .setPiecePacket(PiecePackets.all(meta, self))
        .setTaskTypeValue(meta.taskType())
        .build();
    return callWithRetry(SchedulerRpc.ANNOUNCE_TASK, req, attempts);
  }

  public CompletionStage<Task> stat(String taskId) {
    return call(SchedulerRpc.STAT_TASK, StatTaskRequest.newBuilder().setTaskId(taskId).build());
  }

  public CompletionStage<Empty> leave(String taskId) {
    return callWithRetry(SchedulerRpc.LEAVE_TASK,
        PeerTarget.newBuilder().setTaskId(taskId).setPeerId(self.id()).build(), 3);
  }

  public CompletionStage<HeartbeatResponse> heartbeat(int taskCount) {
    return call(SchedulerRpc.HEARTBEAT,
        HeartbeatRequest.newBuilder().setHost(self.toProto()).setTaskCount(taskCount).build());
  }

  public CompletionStage<FindParentsResponse> findParents(String taskId, Collection<String> bad) {
    return callWithRetry(SchedulerRpc.FIND_PARENTS, FindParentsRequest.newBuilder()
        .setTaskId(taskId).setHost(self.toProto()).addAllBadPeerIds(bad).build(), 3);
  }

  public CompletionStage<Empty> reportPieces(String taskId, Collection<Integer> pieces,
      boolean done) {
    return call(SchedulerRpc.REPORT_PIECES, ReportPiecesRequest.newBuilder()
        .setTaskId(taskId).setHost(self.toProto()).addAllPieceNums(pieces).setDone(done).build());
  }

  public CompletionStage<Empty> reportBadParent(String taskId, String badPeerId, Code reason) {
    return call(SchedulerRpc.REPORT_BAD_PARENT, ReportBadParentRequest.newBuilder()
        .setTaskId(taskId).setReporterPeerId(self.id()).setBadPeerId(badPeerId).setReason(reason)
        .build());
  }

  public PeerEndpoint self() {
    return self;
  }

  @Override
  public void close() {
    channels.close();
  }
}
