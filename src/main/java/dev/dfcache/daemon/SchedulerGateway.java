package dev.dfcache.daemon;

import com.google.protobuf.Empty;
import dev.dfcache.api.common.Code;
import dev.dfcache.api.common.UrlMeta;
import dev.dfcache.api.peer.HeartbeatRequest;
import dev.dfcache.api.peer.HeartbeatResponse;
import dev.dfcache.api.peer.DropTaskRequest;
import dev.dfcache.api.peer.ReportBadParentRequest;
import dev.dfcache.api.peer.TaskDeletion;
import dev.dfcache.api.peer.TaskDescription;
import dev.dfcache.api.common.Pattern;
import dev.dfcache.api.scheduler.PeerPacket;
import dev.dfcache.api.scheduler.PeerTaskRequest;
import dev.dfcache.api.scheduler.PieceResult;
import dev.dfcache.api.scheduler.RegisterResult;
import dev.dfcache.rpc.StreamingMethod;
import dev.dfcache.storage.TaskOrigin;
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

  /**
   * Replaced when the manager names other schedulers; read once per attempt. Empty while none
   * is known (a daemon given only a manager that has none registered yet).
   */
  private volatile List<HostPort> schedulers;
  /** While none is known: why, and when the daemon asks again (for the callers' error). */
  private volatile String noneKnownBecause = "none given (--schedulers) and none from the manager";
  /** Told when the first schedulers become known (the announcer then announces what waits). */
  private volatile Runnable onSchedulersKnown = () -> {};
  private final Channels channels;
  private final AtomicInteger current = new AtomicInteger();
  private final Duration callTimeout;
  private final PeerEndpoint self;
  /** When the Announcer last saw the fleet change (System.nanoTime), 0 = never. */
  private final java.util.concurrent.atomic.AtomicLong fleetChangedAt =
      new java.util.concurrent.atomic.AtomicLong();
  /** How long after a fleet change "unknown task" may mean "state not moved over yet". */
  private static final long SETTLING_NANOS = TimeUnit.SECONDS.toNanos(15);

  public SchedulerGateway(List<HostPort> schedulers, Duration callTimeout, PeerEndpoint self) {
    this(schedulers, callTimeout, self, new Channels());
  }

  /** @param channels plaintext, or mutual TLS with the daemon's certificate */
  public SchedulerGateway(List<HostPort> schedulers, Duration callTimeout, PeerEndpoint self,
      Channels channels) {
    this.channels = channels;
    this.schedulers = List.copyOf(schedulers);
    this.callTimeout = callTimeout;
    this.self = self;
  }

  /** The schedulers the manager names now (an empty list keeps the ones there are). */
  public void setSchedulers(List<HostPort> fresh) {
    if (!fresh.isEmpty() && !fresh.equals(schedulers)) {
      boolean first = schedulers.isEmpty();
      log.info("schedulers from the manager: {} (were {})", fresh,
          first ? "none known" : schedulers);
      schedulers = List.copyOf(fresh);
      if (first) {
        onSchedulersKnown.run();
      }
    }
  }

  /** While no scheduler is known: why, for the error of calls that need one. */
  void noneKnownBecause(String why) {
    noneKnownBecause = why;
  }

  /** @param listener run (once) when the first schedulers become known */
  void onSchedulersKnown(Runnable listener) {
    onSchedulersKnown = listener;
  }

  /** The error of a call that needs a scheduler now, or null when one is known. */
  private NoSchedulerKnownException noneKnown() {
    return schedulers.isEmpty() ? new NoSchedulerKnownException(noneKnownBecause) : null;
  }

  public List<HostPort> schedulers() {
    return schedulers;
  }

  /** One call, tried on each scheduler node in turn until one is reachable. */
  <Q extends com.google.protobuf.Message, R extends com.google.protobuf.Message>
      CompletionStage<R> call(UnaryMethod<Q, R> method, Q request) {
    NoSchedulerKnownException none = noneKnown();
    if (none != null) {
      return CompletableFuture.failedFuture(none);
    }
    return tryFrom(method, request, current.get(), schedulers.size());
  }

  private <Q extends com.google.protobuf.Message, R extends com.google.protobuf.Message>
      CompletionStage<R> tryFrom(UnaryMethod<Q, R> method, Q request, int index, int left) {
    List<HostPort> known = schedulers;
    if (known.isEmpty()) {
      return CompletableFuture.failedFuture(new NoSchedulerKnownException(noneKnownBecause));
    }
    HostPort target = known.get(Math.floorMod(index, known.size()));
    return method.callAsync(channels.get(target), request, callTimeout)
        .handle((r, t) -> {
          if (t == null) {
            return CompletableFuture.completedFuture(r);
          }
          DfException e = DfException.of(t);
          if (!transportFailure(t)) {
            // The node answered (even "timed out": the task's owner is busy or gone, and every
            // other node would forward to the same owner): no point in asking the next one.
            return CompletableFuture.<R>failedFuture(e);
          }
          if (left <= 1) {
            return CompletableFuture.<R>failedFuture(new DfException(Code.ServerUnavailable,
                "no scheduler reachable (" + schedulers + "): " + e.getMessage()));
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
    return callWithRetry(method, request, attempts, SchedulerGateway::isTransient);
  }

  private <Q extends com.google.protobuf.Message, R extends com.google.protobuf.Message>
      CompletionStage<R> callWithRetry(UnaryMethod<Q, R> method, Q request, int attempts,
          java.util.function.Predicate<DfException> retryable) {
    return call(method, request).handle((r, t) -> {
      if (t == null) {
        return CompletableFuture.completedFuture(r);
      }
      DfException e = DfException.of(t);
      // none known: the daemon is told when one is; asking again before is in vain
      if (attempts <= 1 || !retryable.test(e) || e instanceof NoSchedulerKnownException) {
        return CompletableFuture.<R>failedFuture(e);
      }
      long delayMs = Math.min(2000, 100L << Math.min(5, Math.max(0, 6 - attempts)));
      return CompletableFuture.supplyAsync(() -> null,
              CompletableFuture.delayedExecutor(delayMs, TimeUnit.MILLISECONDS))
          .thenCompose(ignored -> callWithRetry(method, request, attempts - 1, retryable));
    }).thenCompose(s -> s);
  }

  /** The call never got an answer from that node: try another one. */
  static boolean transportFailure(Throwable t) {
    Throwable cur = t instanceof java.util.concurrent.CompletionException ? t.getCause() : t;
    if (cur instanceof io.grpc.StatusRuntimeException sre) {
      io.grpc.Status.Code c = sre.getStatus().getCode();
      return c == io.grpc.Status.Code.UNAVAILABLE || c == io.grpc.Status.Code.DEADLINE_EXCEEDED
          || c == io.grpc.Status.Code.CANCELLED;
    }
    return false;
  }

  static boolean isUnreachable(DfException e) {
    return e.code() == Code.ServerUnavailable || e.code() == Code.RequestTimeOut;
  }

  /** Failures another attempt may cure: unreachable nodes, and asks lost while shards move. */
  static boolean isTransient(DfException e) {
    return isUnreachable(e) || lostInTheFleet(e);
  }

  /**
   * A scheduler node answered, but with a failure of the fleet rather than of the request: most
   * often an ask that sharding dropped or held too long while the task's shard moved (a node
   * leaving or joining). Asking again reaches the shard at its new home.
   */
  static boolean lostInTheFleet(DfException e) {
    return e.code() == Code.RequestTimeOut || e.code() == Code.UnknownError
        || e.code() == Code.SchedError;
  }

  public CompletionStage<Empty> announce(TaskMeta meta, int attempts) {
    return announce(meta, attempts, false);
  }

  /** @param fresh the copy was imported just now: it outlives an earlier delete of the task */
  public CompletionStage<Empty> announce(TaskMeta meta, int attempts, boolean fresh) {
    AnnounceTaskRequest req = AnnounceTaskRequest.newBuilder()
        .setTaskId(meta.taskId())
        .setUrl(meta.url())
        .setUrlMeta(UrlMeta.newBuilder().setTag(meta.tag()).setApplication(meta.application()))
        .setPeerHost(self.toProto())
        .setPiecePacket(PiecePackets.all(meta, self))
        .setTaskTypeValue(meta.taskType())
        .setFresh(fresh)
        .setExpiresAt(meta.expiresAtMillis())
        .setReplicaCount(meta.replicaCount())
        .build();
    return callWithRetry(SchedulerRpc.ANNOUNCE_TASK, req, attempts);
  }

  /**
   * A stat is cheap and read-only, so one lost in a moving fleet is asked again. When no node is
   * reachable at all it fails at once (callers should not wait on a fleet that is down).
   */
  public CompletionStage<Task> stat(String taskId) {
    StatTaskRequest req = StatTaskRequest.newBuilder().setTaskId(taskId).build();
    return whileSettling(() -> callWithRetry(SchedulerRpc.STAT_TASK, req, 3,
        SchedulerGateway::lostInTheFleet), 3);
  }

  /** Called by the announcer when the scheduler fleet's membership changed. */
  void fleetChanged() {
    fleetChangedAt.set(System.nanoTime());
  }

  /**
   * Right after the fleet changed, a task's state may still be on its way to the shard's new
   * node (or wait for the peers' re-announce): an "unknown task" then is asked again shortly
   * instead of being final. In a steady fleet it is final at once.
   */
  private <R> CompletionStage<R> whileSettling(
      java.util.function.Supplier<CompletionStage<R>> call, int retries) {
    return call.get().handle((r, t) -> {
      if (t == null) {
        return CompletableFuture.completedFuture(r);
      }
      DfException e = DfException.of(t);
      long changed = fleetChangedAt.get();
      boolean settling = changed != 0 && System.nanoTime() - changed < SETTLING_NANOS;
      if (e.code() != Code.PeerTaskNotFound || !settling || retries <= 0) {
        return CompletableFuture.<R>failedFuture(e);
      }
      return CompletableFuture.supplyAsync(() -> null,
              CompletableFuture.delayedExecutor(700, TimeUnit.MILLISECONDS))
          .thenCompose(ignored -> whileSettling(call, retries - 1));
    }).thenCompose(x -> x);
  }

  /** Deletes the task from every holder (the scheduler tells them). */
  public CompletionStage<Empty> dropEverywhere(String taskId) {
    return callWithRetry(SchedulerRpc.DROP_TASK,
        DropTaskRequest.newBuilder().setTaskId(taskId).setPeerId(self.id()).build(), 3);
  }

  /** Whether the task was deleted from the network (and not imported since). */
  public CompletionStage<Boolean> isDeleted(String taskId) {
    return call(SchedulerRpc.IS_DELETED, StatTaskRequest.newBuilder().setTaskId(taskId).build())
        .thenApply(TaskDeletion::getDeleted);
  }

  public CompletionStage<Empty> leave(String taskId) {
    return callWithRetry(SchedulerRpc.LEAVE_TASK,
        PeerTarget.newBuilder().setTaskId(taskId).setPeerId(self.id()).build(), 3);
  }

  public CompletionStage<HeartbeatResponse> heartbeat(int taskCount, int uploadLimit,
      int activeUploads, long cacheFreeBytes) {
    return call(SchedulerRpc.HEARTBEAT, HeartbeatRequest.newBuilder().setHost(self.toProto())
        .setTaskCount(taskCount).setUploadLimit(uploadLimit).setActiveUploads(activeUploads)
        .setCacheFreeBytes(cacheFreeBytes)
        .build());
  }

  /** A heartbeat without the cache's room (not measured yet). */
  public CompletionStage<HeartbeatResponse> heartbeat(int taskCount, int uploadLimit,
      int activeUploads) {
    return call(SchedulerRpc.HEARTBEAT, HeartbeatRequest.newBuilder().setHost(self.toProto())
        .setTaskCount(taskCount).setUploadLimit(uploadLimit).setActiveUploads(activeUploads)
        .build());
  }

  /** A page of the tasks the scheduler fleet knows (any node answers for all). */
  public CompletionStage<dev.dfcache.api.peer.TaskPage> listTasks(int pageSize,
      String pageToken) {
    return callWithRetry(SchedulerRpc.LIST_TASKS, dev.dfcache.api.peer.TaskPageRequest
        .newBuilder().setPageSize(pageSize).setPageToken(pageToken).build(), 3);
  }

  /** RegisterPeerTask: this peer wants to download the task. */
  public CompletionStage<RegisterResult> register(TaskOrigin origin) {
    return register(origin, java.util.List.of());
  }

  /**
   * RegisterPeerTask, with the holder groups (piece-list signs) of a content-addressed task
   * whose content this peer found not to match the task's digest: it gets another group.
   */
  public CompletionStage<RegisterResult> register(TaskOrigin origin,
      java.util.List<String> refusedSigns) {
    return register(origin, refusedSigns, "");
  }

  /** RegisterPeerTask again for a download that follows the holder group {@code sign}. */
  public CompletionStage<RegisterResult> register(TaskOrigin origin,
      java.util.List<String> refusedSigns, String sign) {
    PeerTaskRequest req = PeerTaskRequest.newBuilder()
        .addAllRefusedSigns(refusedSigns)
        .setPieceMd5Sign(sign)
        .setTaskId(origin.taskId())
        .setUrl(origin.url())
        .setUrlMeta(UrlMeta.newBuilder().setTag(origin.tag()).setApplication(origin.application()))
        .setPeerId(self.id())
        .setPeerHost(self.toProto())
        .setPattern(Pattern.P2P)
        .build();
    return whileSettling(() -> callWithRetry(SchedulerRpc.REGISTER_PEER_TASK, req, 3), 3);
  }

  /**
   * The sizes and piece-list sign the scheduler recorded for the task's holder group {@code
   * sign} ("" = its first: a scheduler that answered registration with none).
   */
  public CompletionStage<TaskDescription> describe(String taskId, String sign) {
    StatTaskRequest req = StatTaskRequest.newBuilder().setTaskId(taskId).setPieceMd5Sign(sign)
        .build();
    return whileSettling(() -> callWithRetry(SchedulerRpc.DESCRIBE_TASK, req, 3), 3);
  }

  /**
   * Opens this download's ReportPieceResult stream on the scheduler node in use (the next one if
   * that one is unreachable: the listener hears the failure and the caller opens again).
   */
  public StreamingMethod.Call<PieceResult> openReports(
      StreamingMethod.Listener<PeerPacket> listener) {
    NoSchedulerKnownException none = noneKnown();
    if (none != null) {
      throw none; // a download registers first, and that fails alike: not reached in practice
    }
    HostPort target = schedulers.get(Math.floorMod(current.get(), schedulers.size()));
    return SchedulerRpc.REPORT_PIECE_RESULT.open(channels.get(target), listener);
  }

  /** A report stream to the node in use failed: later calls and streams try the next node. */
  void reportsFailed() {
    int index = current.get();
    List<HostPort> known = schedulers;
    if (known.isEmpty()) {
      return;
    }
    channels.resetBackoff(known.get(Math.floorMod(index, known.size())));
    current.compareAndSet(index, index + 1);
  }

  public CompletionStage<Empty> reportBadParent(String taskId, String badPeerId, Code reason) {
    return reportBadParent(taskId, badPeerId, reason, "");
  }

  /**
   * A parent served bad data; with {@code sign}, its whole holder group's content does not
   * match the task's digest (each piece matched the group's piece list).
   */
  public CompletionStage<Empty> reportBadParent(String taskId, String badPeerId, Code reason,
      String sign) {
    return call(SchedulerRpc.REPORT_BAD_PARENT, ReportBadParentRequest.newBuilder()
        .setTaskId(taskId).setReporterPeerId(self.id()).setBadPeerId(badPeerId).setReason(reason)
        .setPieceMd5Sign(sign).build());
  }

  public PeerEndpoint self() {
    return self;
  }

  @Override
  public void close() {
    channels.close();
  }
}
