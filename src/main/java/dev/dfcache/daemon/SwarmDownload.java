package dev.dfcache.daemon;

import dev.dfcache.api.common.Code;
import dev.dfcache.api.common.PieceInfo;
import dev.dfcache.api.common.PiecePacket;
import dev.dfcache.api.peer.TaskDescription;
import dev.dfcache.api.scheduler.PeerPacket;
import dev.dfcache.common.ContentDigest;
import dev.dfcache.common.CorruptPieceException;
import dev.dfcache.common.DfException;
import dev.dfcache.common.HostPort;
import dev.dfcache.common.PieceLayout;
import dev.dfcache.common.TransferProgress;
import dev.dfcache.storage.PartialTask;
import dev.dfcache.storage.TaskMeta;
import dev.dfcache.storage.TaskOrigin;
import dev.dfcache.storage.TaskStore;
import dev.dfcache.transfer.TokenBucket;
import io.grpc.Status;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.Cancellable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A task downloaded from the swarm, Dragonfly v1's way: the scheduler pushes parents on the report
 * stream ({@link ReportStream}); each parent tells over SyncPieceTasks which pieces it holds, as
 * they land ({@link ParentLink}); the {@link PiecePicker} decides which piece to ask which parent
 * for (rarest first, a few requests per parent, endgame); each piece is fetched over HTTP
 * ({@link PieceFetcher}), verified against the piece list (itself checked against the sign the
 * scheduler recorded) and written, then reported, which makes this peer a parent for it at once.
 *
 * <p>All state is guarded by this object's monitor; nothing blocking runs under it (piece writes
 * run on the I/O dispatcher).
 */
final class SwarmDownload implements ParentLink.Owner, ReportStream.Owner {
  private static final Logger log = LoggerFactory.getLogger(SwarmDownload.class);
  /** Picks at random before rarest first takes over. */
  private static final int RANDOM_FIRST = 2;
  private static final long UNHEARD_NANOS = 3_000_000_000L;

  private final DaemonEnv env;
  private final TaskOrigin origin;
  private final String taskId;
  private final TaskDescription task;
  private final PieceLayout layout;
  private final TokenBucket exportLimit;
  private final TransferProgress progress;
  private final PieceFetcher fetcher;
  private final PiecePicker picker;
  private final ReportStream reports;
  private final CompletableFuture<PartialTask> result = new CompletableFuture<>();
  private final Runnable retry = this::dispatch;
  /** The digest the whole content must hash to (the task's {@code sha256:} cid), or null. */
  private final ContentDigest expected;

  private PartialTask partial;
  private boolean creatingPartial;
  private final Map<String, ParentLink> links = new HashMap<>();
  /** Parent id -> "ip:port" of its upload server, from its piece packets. */
  private final Map<String, String> uploadAddresses = new HashMap<>();
  private final Map<String, Integer> failures = new HashMap<>();
  private final Set<String> bad = new HashSet<>();
  private final Map<String, Request> requests = new HashMap<>();
  private final int[] attempts;
  private final Map<String, Integer> piecesFrom = new TreeMap<>();
  private int packets;
  private long idleSince = System.nanoTime();
  /** When parents were last heard of (or the download began). */
  private long lastPacketNanos = System.nanoTime();
  private Cancellable watchdog;

  /** One piece asked of one parent. */
  private static final class Request {
    final int piece;
    final String parent;
    final String address;
    final long size;
    volatile boolean cancelled;
    long startedNanos;

    Request(int piece, String parent, String address, long size) {
      this.piece = piece;
      this.parent = parent;
      this.address = address;
      this.size = size;
    }

    String key() {
      return key(piece, parent);
    }

    static String key(int piece, String parent) {
      return piece + "@" + parent;
    }
  }

  SwarmDownload(DaemonEnv env, TaskOrigin origin, TaskDescription task,
      double limitBytesPerSecond, TransferProgress progress, ContentDigest expected) {
    this.env = env;
    this.expected = expected;
    this.origin = origin;
    this.taskId = origin.taskId();
    this.task = task;
    this.layout = new PieceLayout(task.getContentLength(), task.getPieceSize());
    // Starts empty and holds one piece at most: S bytes never take less than S/limit.
    this.exportLimit = limitBytesPerSecond > 0
        ? TokenBucket.startingEmpty(limitBytesPerSecond, layout.pieceSize()) : null;
    this.progress = progress;
    progress.total(task.getContentLength());
    this.fetcher = new PieceFetcher(env, taskId);
    this.picker = new PiecePicker(layout.pieceCount(), env.settings().requestsPerParent(),
        RANDOM_FIRST, new Random());
    this.attempts = new int[layout.pieceCount()];
    this.reports = new ReportStream(env, origin, task.getPieceMd5Sign(), this,
        this::heldPieces);
  }

  /** Runs the download; completes with the partial task holding every piece. */
  CompletionStage<PartialTask> run() {
    if (layout.pieceCount() != task.getTotalPieceCount()) {
      return CompletableFuture.failedFuture(new DfException(Code.SchedError,
          "the scheduler's piece count does not match the task's size"));
    }
    reports.open();
    watchdog = env.system().scheduler().scheduleWithFixedDelay(Duration.ofSeconds(1),
        Duration.ofSeconds(1), this::checkStalled, env.system().executionContext());
    return result.whenComplete((p, t) -> cleanUp(t == null));
  }

  private synchronized BitSet heldPieces() {
    return partial == null ? new BitSet() : partial.verifiedPieces();
  }

  // ------------------------------------------------------------------ from the scheduler

  @Override
  public void onParents(PeerPacket packet) {
    List<PeerPacket.DestPeer> named = new ArrayList<>();
    if (packet.hasMainPeer()) {
      named.add(packet.getMainPeer());
    }
    named.addAll(packet.getCandidatePeersList());
    env.metrics().parentPackets.inc();
    synchronized (this) {
      packets++;
      lastPacketNanos = System.nanoTime();
      if (result.isDone()) {
        return;
      }
      for (PeerPacket.DestPeer dest : named) {
        String id = dest.getPeerId();
        if (links.containsKey(id) || bad.contains(id) || id.equals(env.self().id())) {
          continue;
        }
        ParentLink link = ParentLink.open(env, taskId, dest, this);
        if (link != null) {
          links.put(id, link);
        }
      }
    }
    log.debug("task {}: parents {}", taskId, named.stream().map(PeerPacket.DestPeer::getPeerId)
        .toList());
  }

  @Override
  public void onScheduleFailed(Code code) {
    synchronized (this) {
      if (!requests.isEmpty() || picker.anyParentHoldsMissing()) {
        return; // the parents we know may still finish it
      }
    }
    fail(code == Code.SchedTaskStatusError
        ? DfException.notFound("task " + taskId + " is not held by any live peer")
        : new DfException(code, "the scheduler stopped scheduling task " + taskId));
  }

  // ------------------------------------------------------------------ from the parents

  @Override
  public void onPieces(String parentId, String parentIp, PiecePacket packet) {
    TaskMeta newMeta = null;
    synchronized (this) {
      if (result.isDone() || bad.contains(parentId)) {
        return;
      }
      try {
        uploadAddresses.put(parentId, uploadAddressOf(parentIp, packet.getDstAddr()));
        if (partial == null && !creatingPartial
            && packet.getPieceInfosCount() == task.getTotalPieceCount()) {
          newMeta = checkedMeta(packet);
          creatingPartial = true;
        } else if (partial != null) {
          checkDigests(packet, partial.meta());
        }
      } catch (DfException e) {
        dropParent(parentId, e);
        return;
      }
      BitSet pieces = new BitSet();
      for (PieceInfo info : packet.getPieceInfosList()) {
        if (info.getPieceNum() >= 0 && info.getPieceNum() < task.getTotalPieceCount()) {
          pieces.set(info.getPieceNum());
        }
      }
      picker.parentHas(parentId, pieces);
    }
    if (newMeta != null) {
      TaskMeta meta = newMeta;
      CompletableFuture.supplyAsync(() -> env.store().beginDownload(meta, expected),
              env.blocking())
          .whenComplete((p, t) -> {
            if (t != null) {
              fail(t);
              return;
            }
            synchronized (this) {
              partial = p;
            }
            if (result.isDone()) {
              env.store().abort(p); // failed meanwhile
            }
            dispatch();
          });
    } else {
      dispatch();
    }
  }

  @Override
  public void onLinkClosed(String parentId, Status status) {
    if (status.isOk()) {
      return; // it told us all it holds (it holds the whole task)
    }
    synchronized (this) {
      links.remove(parentId);
      if (result.isDone()) {
        return;
      }
      dropParent(parentId, new DfException(Code.ClientPieceRequestFail,
          "piece list stream from " + parentId + " failed: " + status.getCode()));
    }
    dispatch();
  }

  /** The parent's upload server: its port from the packet, on the address we reached it at. */
  private static String uploadAddressOf(String parentIp, String dstAddr) {
    HostPort announced;
    try {
      announced = HostPort.parse(dstAddr);
    } catch (RuntimeException e) {
      throw new DfException(Code.ClientPieceRequestFail, "bad upload address '" + dstAddr + "'");
    }
    return new HostPort(parentIp, announced.port()).toString();
  }

  /** The whole piece list from a parent, checked against the sign the scheduler recorded. */
  private TaskMeta checkedMeta(PiecePacket packet) {
    List<PieceInfo> infos = new ArrayList<>(packet.getPieceInfosList());
    infos.sort(Comparator.comparingInt(PieceInfo::getPieceNum));
    List<String> digests = new ArrayList<>(infos.size());
    for (int i = 0; i < infos.size(); i++) {
      if (infos.get(i).getPieceNum() != i) {
        throw new DfException(Code.ClientPieceRequestFail, "piece list has gaps");
      }
      digests.add(infos.get(i).getPieceMd5());
    }
    return PeerTaskDownload.metaOf(origin, task, digests);
  }

  /** A parent's pieces must have the digests of the checked list: else it lies. */
  private static void checkDigests(PiecePacket packet, TaskMeta meta) {
    for (PieceInfo info : packet.getPieceInfosList()) {
      int n = info.getPieceNum();
      if (n < 0 || n >= meta.pieceCount() || !meta.pieceDigests().get(n).equals(info.getPieceMd5())) {
        throw new CorruptPieceException("piece " + n + " listed with another digest");
      }
    }
  }

  // ------------------------------------------------------------------ requests

  /** Starts as many requests as the picker, the per-download cap and the budget allow. */
  private void dispatch() {
    List<Request> toStart = new ArrayList<>();
    PartialTask task;
    synchronized (this) {
      task = partial;
      if (task == null || result.isDone()) {
        return;
      }
      while (requests.size() < env.settings().pieceParallelism()) {
        PiecePicker.Assignment a = picker.next();
        if (a == null) {
          break;
        }
        long size = layout.sizeOf(a.piece());
        if (!env.inflight().tryAcquire(size, retry)) {
          picker.released(a.piece(), a.parent());
          break;
        }
        Request r = new Request(a.piece(), a.parent(), uploadAddresses.get(a.parent()), size);
        requests.put(r.key(), r);
        toStart.add(r);
      }
      idleSince = requests.isEmpty() ? Math.min(idleSince, System.nanoTime()) : Long.MAX_VALUE;
    }
    toStart.forEach(r -> start(r, task));
  }

  private void start(Request r, PartialTask task) {
    CompletionStage<Void> ready = exportLimit == null
        ? CompletableFuture.completedFuture(null) : exportLimit.acquire(r.size);
    if (env.downloadLimit() != null && !env.downloadLimit().unlimited()) {
      ready = ready.thenCompose(v -> env.downloadLimit().acquire(r.size));
    }
    ready.thenCompose(v -> {
          r.startedNanos = System.nanoTime();
          PartialTask.IncomingPiece incoming = task.receive(r.piece);
          return fetcher.fetch(r.address, r.parent, layout.offsetOf(r.piece), incoming,
                  () -> r.cancelled || result.isDone())
              .thenApplyAsync(arrived -> arrived && commit(task, incoming, r.parent),
                  env.blocking());
        })
        .whenComplete((committed, failure) -> finished(r, Boolean.TRUE.equals(committed),
            failure));
  }

  /** Verifies and writes a piece unless another request brought it first. Blocking. */
  private boolean commit(PartialTask task, PartialTask.IncomingPiece incoming, String parent) {
    if (task.hasPiece(incoming.piece())) {
      return false; // an endgame twin won
    }
    try {
      task.commit(incoming);
    } catch (java.io.IOException e) {
      throw TaskStore.ioFailure("writing piece " + incoming.piece(), e);
    }
    env.metrics().downloadedBytes.inc(incoming.size());
    env.metrics().pieces.labelValues("ok").inc();
    progress.addFrom(parent, incoming.size());
    return true;
  }

  private void finished(Request r, boolean committed, Throwable failure) {
    env.inflight().release(r.size);
    PartialTask complete = null;
    DfException fatal = null;
    long costMs = (System.nanoTime() - r.startedNanos) / 1_000_000;
    if (log.isDebugEnabled()) {
      log.debug("task {}: piece {} from {}: {} in {} ms", taskId, r.piece, r.parent,
          failure != null ? DfException.of(failure).getClass().getSimpleName()
              : committed ? "ok" : "cancelled", costMs);
    }
    synchronized (this) {
      requests.remove(r.key());
      if (result.isDone()) {
        return;
      }
      if (failure == null && committed) {
        for (String loser : picker.succeeded(r.piece, r.parent)) {
          Request twin = requests.get(Request.key(r.piece, loser));
          if (twin != null) {
            twin.cancelled = true;
            env.metrics().endgameCancels.inc();
          }
        }
        piecesFrom.merge(r.parent, 1, Integer::sum);
        failures.remove(r.parent);
        reports.report(r.piece, r.parent, true, Code.Success, r.size, costMs);
        complete = picker.complete() ? partial : null;
      } else if (failure == null) {
        picker.released(r.piece, r.parent); // cancelled, or its twin won
      } else if (DfException.of(failure) instanceof PieceFetcher.ParentBusyException) {
        // The piece may be asked of another parent at once; this parent rests a moment, and
        // a dispatch after that gives it work again if nothing else did.
        picker.refused(r.piece, r.parent);
        CompletableFuture.delayedExecutor(PiecePicker.REST_NANOS, TimeUnit.NANOSECONDS)
            .execute(retry);
      } else {
        picker.released(r.piece, r.parent);
        DfException e = DfException.of(failure);
        if (e.code() == Code.ResourceLacked) {
          fatal = e; // our own disk is full: no other parent can help
        } else {
          reports.report(r.piece, r.parent, false, e.code(), r.size, costMs);
          if (++attempts[r.piece] >= env.settings().pieceAttempts()) {
            fatal = new DfException(Code.ClientPieceDownloadFail, "piece " + r.piece
                + " of task " + taskId + " failed " + attempts[r.piece] + " times, last: "
                + e.getMessage());
          } else if (e instanceof CorruptPieceException
              || failures.merge(r.parent, 1, Integer::sum) >= 2) {
            dropParent(r.parent, e);
          } else {
            env.metrics().pieces.labelValues("failed").inc();
          }
        }
      }
    }
    if (fatal != null) {
      fail(fatal);
    } else if (complete != null) {
      result.complete(complete);
    } else {
      dispatch();
    }
  }

  /**
   * Stops using a parent for this download: its requests are cancelled, its pieces asked of
   * others. One caught serving corrupt data is reported, so the scheduler stops offering it.
   */
  private void dropParent(String parentId, DfException why) {
    boolean corrupt = why instanceof CorruptPieceException;
    log.debug("task {}: dropping parent {}: {}", taskId, parentId, why.getMessage());
    env.metrics().pieces.labelValues(corrupt ? "corrupt" : "failed").inc();
    bad.add(parentId);
    for (int piece : picker.removeParent(parentId)) {
      Request r = requests.get(Request.key(piece, parentId));
      if (r != null) {
        r.cancelled = true;
      }
    }
    ParentLink link = links.remove(parentId);
    if (link != null) {
      link.cancel();
    }
    if (corrupt) {
      env.gateway().reportBadParent(taskId, parentId, Code.ClientPieceDownloadFail);
    }
  }

  /**
   * Fails the download when it could not start a request for parent-wait; asks the scheduler
   * again when it is idle and has heard no parents for a few seconds (a report lost while a
   * task's shard moved would otherwise leave it waiting for parents that never come).
   */
  private void checkStalled() {
    boolean stalled;
    boolean unheard;
    synchronized (this) {
      long now = System.nanoTime();
      stalled = idleSince != Long.MAX_VALUE
          && now - idleSince > env.settings().parentWait().toNanos();
      unheard = idleSince != Long.MAX_VALUE && now - lastPacketNanos > UNHEARD_NANOS
          && now - idleSince > UNHEARD_NANOS;
      if (unheard) {
        lastPacketNanos = now;
      }
    }
    if (unheard && !stalled) {
      reports.nudge("no parents to download from for " + UNHEARD_NANOS / 1_000_000_000 + " s");
    }
    if (!stalled) {
      // Nothing may have happened since a refusal expired (a parent's rest, a refused piece):
      // look again every tick, so an idle download never waits on an event that is not coming.
      dispatch();
    }
    if (stalled) {
      fail(new DfException(Code.ClientPieceNotFound, "no live parent held the missing pieces of "
          + "task " + taskId + " for " + env.settings().parentWait().toSeconds() + " s"
          + (bad.isEmpty() ? "" : " (parents that failed: " + bad + ")")));
    }
  }

  private void fail(Throwable t) {
    result.completeExceptionally(t);
  }

  private void cleanUp(boolean complete) {
    List<ParentLink> open;
    synchronized (this) {
      open = List.copyOf(links.values());
      links.clear();
      requests.values().forEach(r -> r.cancelled = true);
    }
    open.forEach(ParentLink::cancel);
    reports.close(complete);
    if (watchdog != null) {
      watchdog.cancel();
    }
  }

  /** The parents pieces were taken from. */
  synchronized List<String> parentsUsed() {
    return List.copyOf(piecesFrom.keySet());
  }

  /** Pieces per parent and PeerPackets heard, for the download's log line. */
  synchronized String sources() {
    return piecesFrom + " in " + packets + " parent packets";
  }

  /** The partial task, once the piece list was verified (for abort on failure). */
  synchronized PartialTask partial() {
    return partial;
  }
}
