package dev.dfcache.daemon;

import dev.dfcache.api.common.Code;
import dev.dfcache.api.common.PieceInfo;
import dev.dfcache.api.common.PiecePacket;
import dev.dfcache.api.common.PieceTaskRequest;
import dev.dfcache.api.peer.FindParentsResponse;
import dev.dfcache.api.peer.Parent;
import dev.dfcache.common.DfException;
import dev.dfcache.common.Digests;
import dev.dfcache.common.HostPort;
import dev.dfcache.common.PeerEndpoint;
import dev.dfcache.common.PieceLayout;
import dev.dfcache.rpc.DaemonRpc;
import dev.dfcache.storage.PartialTask;
import dev.dfcache.storage.StoredTask;
import dev.dfcache.storage.TaskMeta;
import dev.dfcache.storage.TaskStore;
import dev.dfcache.storage.TaskOrigin;
import dev.dfcache.transfer.TokenBucket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One download of a task from other peers, as one Pekko stream: piece numbers, throttled to the
 * task's rate limit, fetched from several parents at once (HTTP range GETs), each verified against
 * its SHA-256 before it is written, then reported to the scheduler in small batches so that this
 * peer is offered as a parent for those pieces while it is still downloading.
 */
final class PeerTaskDownload {
  private static final Logger log = LoggerFactory.getLogger(PeerTaskDownload.class);
  private static final Duration REFRESH_EVERY = Duration.ofMillis(500);
  private static final int SAMPLE = 256;
  private static final String BUSY = "busy: ";

  private final DaemonEnv env;
  private final TaskOrigin origin;
  private final String taskId;
  private final double limitBytesPerSecond;
  private final Set<String> badPeers = ConcurrentHashMap.newKeySet();
  /** Pieces got from holders of the whole task, from other downloaders, and failed attempts. */
  private final java.util.concurrent.atomic.AtomicInteger fromFullHolders =
      new java.util.concurrent.atomic.AtomicInteger();
  private final java.util.concurrent.atomic.AtomicInteger fromDownloaders =
      new java.util.concurrent.atomic.AtomicInteger();
  private final java.util.concurrent.atomic.AtomicInteger failedAttempts =
      new java.util.concurrent.atomic.AtomicInteger();
  private final List<ParentState> parents = new ArrayList<>();
  /** Pieces not handed to the stream yet. Guarded by this. */
  private final BitSet unpicked = new BitSet();
  private CompletableFuture<Void> refreshing = CompletableFuture.completedFuture(null);
  private long lastRefreshNanos;
  private volatile PartialTask partial;

  /** A parent as this download sees it. Guarded by the download's monitor. */
  private static final class ParentState {
    PeerEndpoint peer;
    boolean done;
    BitSet pieces;
    int inflight;
    int failures;

    ParentState(PeerEndpoint peer, boolean done, BitSet pieces) {
      this.peer = peer;
      this.done = done;
      this.pieces = pieces;
    }

    boolean has(int piece) {
      return done || pieces.get(piece);
    }
  }

  PeerTaskDownload(DaemonEnv env, TaskOrigin origin, double limitBytesPerSecond) {
    this.env = env;
    this.origin = origin;
    this.taskId = origin.taskId();
    this.limitBytesPerSecond = limitBytesPerSecond;
  }

  CompletionStage<StoredTask> run() {
    long started = System.nanoTime();
    long[] marks = new long[4];
    return env.gateway().findParents(taskId, Set.of())
        .thenCompose(found -> {
          marks[0] = System.nanoTime();
          updateParents(found);
          synchronized (this) {
            lastRefreshNanos = marks[0]; // just asked: no second ask for the first piece
          }
          if (found.getParentsCount() == 0) {
            throw DfException.notFound("task " + taskId + " is not held by any live peer");
          }
          // One piece, and a sane size for it: a piece is held in memory until it is verified.
          if (found.getTotalPieceCount() <= 1
              && found.getContentLength() <= Math.min(found.getPieceSize(), PieceLayout.MAX_PIECE)) {
            marks[1] = marks[0];
            return downloadSinglePiece(found, parentsByPreference(found), 0, null);
          }
          return fetchPieceList(found)
              .thenApplyAsync(meta -> {
                marks[1] = System.nanoTime();
                return partial = env.store().beginDownload(meta);
              }, env.blocking())
              .thenCompose(p -> downloadPieces(p));
        })
        .thenApplyAsync(done -> {
          marks[2] = System.nanoTime();
          StoredTask stored = env.store().complete(partial);
          marks[3] = System.nanoTime();
          return stored;
        }, env.blocking())
        .thenApply(stored -> {
          // This peer now holds the whole task. Telling the scheduler is not on the export's
          // critical path: the parents it came from still serve it meanwhile.
          env.gateway().announce(stored.meta(), env.settings().announceAttempts())
              .exceptionally(t -> {
                log.warn("task {} downloaded but not announced yet: {}", taskId, t.getMessage());
                return null;
              });
          return stored;
        })
        .whenComplete((stored, failure) -> {
          if (failure == null) {
            log.info("downloaded task {} ({} bytes, {} pieces) in {} ms from {} parents "
                    + "(find parents {}, piece list {}, pieces {}, publish {} ms; pieces from "
                    + "holders of all {}, from other downloaders {}, failed attempts {})", taskId,
                stored.contentLength(), stored.meta().pieceCount(), millis(started, marks[3]),
                parentCount(), millis(started, marks[0]), millis(marks[0], marks[1]),
                millis(marks[1], marks[2]), millis(marks[2], marks[3]), fromFullHolders.get(),
                fromDownloaders.get(), failedAttempts.get());
          } else {
            PartialTask p = partial;
            if (p != null) {
              env.store().abort(p);
              env.gateway().leave(taskId);
            }
          }
        });
  }

  private static String millis(long from, long to) {
    return String.format(java.util.Locale.ROOT, "%.1f", (to - from) / 1e6);
  }

  /** Parents that hold the whole task first. */
  private static List<PeerEndpoint> parentsByPreference(FindParentsResponse found) {
    return found.getParentsList().stream()
        .sorted(Comparator.comparing((Parent p) -> !p.getDone()))
        .map(p -> PeerEndpoint.fromProto(p.getHost()))
        .toList();
  }

  /**
   * A task of at most one piece (every file up to the piece size) needs no piece list: the
   * scheduler's sign is the SHA-256 of the piece digests, so the piece itself, once hashed, is
   * checked against the sign. That saves a round trip on the small exports that are all latency.
   */
  private CompletionStage<Void> downloadSinglePiece(FindParentsResponse found,
      List<PeerEndpoint> sources, int index, Throwable lastFailure) {
    if (found.getContentLength() == 0) {
      return CompletableFuture.runAsync(
          () -> partial = env.store().beginDownload(metaOf(found, List.of())), env.blocking());
    }
    if (index >= sources.size()) {
      return CompletableFuture.failedFuture(new DfException(Code.ClientPieceDownloadFail,
          "no parent gave a valid copy of task " + taskId
              + (lastFailure == null ? "" : ": " + DfException.of(lastFailure).getMessage())));
    }
    PeerEndpoint parent = sources.get(index);
    PartialTask.IncomingPiece incoming =
        PartialTask.IncomingPiece.expecting(0, found.getContentLength());
    return receiveRange(parent, 0, incoming)
        .thenRunAsync(() -> {
          String digest = incoming.digestHex();
          if (!Digests.pieceListSign(List.of(digest)).equals(found.getPieceMd5Sign())) {
            badPeers.add(parent.id());
            env.gateway().reportBadParent(taskId, parent.id(), Code.ClientPieceDownloadFail);
            env.metrics().pieces.labelValues("corrupt").inc();
            throw new DfException(Code.ClientPieceDownloadFail,
                "piece 0 from " + parent.id() + " does not match the recorded digest");
          }
          partial = env.store().beginDownload(metaOf(found, List.of(digest)));
          commit(partial, incoming);
        }, env.blocking())
        .handle((ok, t) -> {
          if (t == null) {
            return CompletableFuture.<Void>completedFuture(null);
          }
          if (DfException.of(t).code() == Code.ResourceLacked) {
            return CompletableFuture.<Void>failedFuture(t); // our disk: no other parent helps
          }
          PartialTask begun = partial;
          if (begun != null) {
            partial = null;
            env.store().abort(begun);
          }
          return downloadSinglePiece(found, sources, index + 1, t);
        })
        .thenCompose(s -> s);
  }

  /** The piece list from a parent, checked against the sign the scheduler recorded. */
  private CompletionStage<TaskMeta> fetchPieceList(FindParentsResponse found) {
    return tryPieceList(found, parentsByPreference(found), 0, null);
  }

  private CompletionStage<TaskMeta> tryPieceList(FindParentsResponse found,
      List<PeerEndpoint> sources, int index, Throwable lastFailure) {
    if (index >= sources.size()) {
      return CompletableFuture.failedFuture(new DfException(Code.ClientPieceRequestFail,
          "no parent gave a valid piece list for task " + taskId
              + (lastFailure == null ? "" : ": " + DfException.of(lastFailure).getMessage())));
    }
    PeerEndpoint parent = sources.get(index);
    PieceTaskRequest req = PieceTaskRequest.newBuilder().setTaskId(taskId)
        .setSrcPid(env.self().id()).setDstPid(parent.id()).build();
    return DaemonRpc.GET_PIECE_TASKS
        .callAsync(env.peerChannels().get(new HostPort(parent.ip(), parent.rpcPort())), req,
            env.settings().schedulerCallTimeout())
        .thenApply(packet -> checkedMeta(found, packet))
        .handle((meta, t) -> t == null
            ? CompletableFuture.completedFuture(meta)
            : tryPieceList(found, sources, index + 1, t))
        .thenCompose(s -> s);
  }

  private TaskMeta checkedMeta(FindParentsResponse found, PiecePacket packet) {
    PieceLayout layout = new PieceLayout(found.getContentLength(), found.getPieceSize());
    List<PieceInfo> infos = new ArrayList<>(packet.getPieceInfosList());
    infos.sort(Comparator.comparingInt(PieceInfo::getPieceNum));
    if (packet.getContentLength() != found.getContentLength()
        || infos.size() != layout.pieceCount() || infos.size() != found.getTotalPieceCount()) {
      throw new DfException(Code.ClientPieceRequestFail, "incomplete piece list");
    }
    List<String> digests = new ArrayList<>(infos.size());
    for (int i = 0; i < infos.size(); i++) {
      if (infos.get(i).getPieceNum() != i) {
        throw new DfException(Code.ClientPieceRequestFail, "piece list has gaps");
      }
      digests.add(infos.get(i).getPieceMd5());
    }
    return metaOf(found, digests);
  }

  /** The task's metadata from the scheduler's answer and a piece list that matches its sign. */
  private TaskMeta metaOf(FindParentsResponse found, List<String> digests) {
    if (!Digests.pieceListSign(digests).equals(found.getPieceMd5Sign())) {
      throw new DfException(Code.ClientPieceRequestFail,
          "piece list does not match the sign the scheduler recorded");
    }
    return new TaskMeta(TaskMeta.CURRENT_VERSION, taskId, origin.url(), origin.tag(),
        origin.application(), found.getTaskTypeValue(), found.getContentLength(),
        found.getPieceSize(), List.copyOf(digests), found.getPieceMd5Sign(),
        System.currentTimeMillis(), true);
  }

  private CompletionStage<Void> downloadPieces(PartialTask task) {
    PieceLayout layout = task.meta().layout();
    synchronized (this) {
      unpicked.set(0, layout.pieceCount());
    }
    int parallelism = (int) Math.max(1, Math.min(env.settings().pieceParallelism(),
        env.settings().maxInflightBytes() / layout.pieceSize()));
    // Pieces are chosen one at a time, when the stream has room for one, so each choice sees what
    // the other downloaders hold by then (see nextPiece).
    Source<Integer, ?> pieces = Source.repeat(0).map(x -> nextPiece()).takeWhile(n -> n >= 0);
    if (limitBytesPerSecond > 0) {
      // Starts empty and holds one piece at most: S bytes never take less than S/limit (a
      // throttle's initial burst let a 256 MiB export at 100 MiB/s finish in 0.94 of that).
      pieces = pieces.via(TokenBucket.startingEmpty(limitBytesPerSecond, layout.pieceSize())
          .pace(layout::sizeOf));
    }
    if (env.downloadLimit() != null) {
      pieces = pieces.via(env.downloadLimit().pace(layout::sizeOf));
    }
    return pieces
        .mapAsyncUnordered(parallelism, n -> fetchPiece(task, n, 1, System.nanoTime()))
        .groupedWithin(64, Duration.ofMillis(200))
        .mapAsync(1, batch -> batch.size() == layout.pieceCount()
            // the whole task at once (small tasks): the announce that follows says it all
            ? CompletableFuture.completedFuture(null)
            : env.gateway().reportPieces(taskId, batch, false).exceptionally(t -> null))
        .runWith(Sink.ignore(), env.system())
        .thenApply(done -> null);
  }

  private CompletionStage<Integer> fetchPiece(PartialTask task, int piece, int attempt,
      long waitingSince) {
    // Learn, now and then, which pieces the other downloaders hold by now: without it every
    // downloader would keep pulling from the peers that hold everything (the importer).
    refreshParents();
    ParentState parent = pickParent(piece);
    if (parent == null) {
      if (System.nanoTime() - waitingSince > env.settings().parentWait().toNanos()) {
        return CompletableFuture.failedFuture(new DfException(Code.ClientPieceNotFound,
            "no live parent holds piece " + piece + " of task " + taskId));
      }
      return refreshParents()
          .thenCompose(v -> delay(Duration.ofMillis(100)))
          .thenCompose(v -> fetchPiece(task, piece, attempt, waitingSince));
    }
    return fetchFrom(task, parent, piece)
        .handle((n, t) -> {
          synchronized (this) {
            parent.inflight--;
          }
          if (t == null) {
            (parent.done ? fromFullHolders : fromDownloaders).incrementAndGet();
            return CompletableFuture.completedFuture(n);
          }
          failedAttempts.incrementAndGet();
          DfException failure = DfException.of(t);
          if (failure.code() == Code.ResourceLacked) {
            // our own disk is full: no other parent can help
            return CompletableFuture.<Integer>failedFuture(failure);
          }
          onParentFailure(parent, piece, failure);
          if (attempt >= env.settings().pieceAttempts()) {
            return CompletableFuture.<Integer>failedFuture(new DfException(
                Code.ClientPieceDownloadFail, "piece " + piece + " of task " + taskId
                    + " failed " + attempt + " times, last: " + DfException.of(t).getMessage()));
          }
          return fetchPiece(task, piece, attempt + 1, System.nanoTime());
        })
        .thenCompose(s -> s);
  }

  private CompletionStage<Integer> fetchFrom(PartialTask task, ParentState parent, int piece) {
    PieceLayout layout = task.meta().layout();
    long start = layout.offsetOf(piece);
    PartialTask.IncomingPiece incoming = task.receive(piece);
    return receiveRange(parent.peer, start, incoming)
        .thenApplyAsync(received -> {
          commit(task, incoming);
          return piece;
        }, env.blocking());
  }

  /** GETs the piece's bytes from {@code start} on from a parent into it, within piece-timeout. */
  private CompletableFuture<?> receiveRange(PeerEndpoint p, long start,
      PartialTask.IncomingPiece incoming) {
    long last = start + incoming.expectedSize() - 1;
    return Http.get(env.system()).singleRequest(HttpRequest
            .GET("http://" + p.uploadAddress() + "/download/" + taskId.substring(0, 3) + "/"
                + taskId + "?peerId=" + env.self().id())
            .addHeader(RawHeader.create("Range", "bytes=" + start + "-" + last)))
        .thenCompose(response -> receive(response, p.id(), incoming))
        .toCompletableFuture()
        .orTimeout(env.settings().pieceTimeout().toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Verifies and writes a piece. Blocking. */
  private void commit(PartialTask task, PartialTask.IncomingPiece incoming) {
    try {
      task.commit(incoming);
    } catch (java.io.IOException e) {
      throw TaskStore.ioFailure("writing piece " + incoming.piece(), e);
    }
    env.metrics().downloadedBytes.inc(incoming.size());
    env.metrics().pieces.labelValues("ok").inc();
  }

  /** Streams a piece's body into the piece, which hashes it chunk by chunk as it arrives. */
  private CompletionStage<?> receive(HttpResponse response, String parentId,
      PartialTask.IncomingPiece incoming) {
    if (response.status().equals(StatusCodes.SERVICE_UNAVAILABLE)) {
      response.discardEntityBytes(env.system());
      return CompletableFuture.failedFuture(new DfException(Code.ClientPieceRequestFail,
          BUSY + parentId));
    }
    if (!response.status().equals(StatusCodes.PARTIAL_CONTENT)) {
      response.discardEntityBytes(env.system());
      return CompletableFuture.failedFuture(new DfException(Code.ClientPieceRequestFail,
          "parent " + parentId + " answered " + response.status()));
    }
    return response.entity().getDataBytes()
        .runForeach(chunk -> chunk.getByteBuffers().forEach(incoming::add), env.system());
  }

  /**
   * The piece to fetch next, or -1 when every piece has been picked. Prefers the piece whose best
   * holder is least busy with this download, and among holders, peers that are downloading too
   * over peers that hold everything (usually the one importer): so a swarm takes from the
   * importer mostly pieces nobody else has yet, and exchanges the rest among itself. Looks at up
   * to SAMPLE pieces from a random place, so the cost stays small for big tasks and downloaders
   * that start together do not all want the same pieces.
   */
  private synchronized int nextPiece() {
    if (unpicked.isEmpty()) {
      return -1;
    }
    int p = unpicked.nextSetBit(ThreadLocalRandom.current().nextInt(unpicked.length()));
    int first = p;
    int best = -1;
    int bestScore = Integer.MAX_VALUE;
    for (int seen = 0; seen < SAMPLE; seen++) {
      int score = Integer.MAX_VALUE - 1; // held by nobody we know of yet: last
      for (ParentState parent : parents) {
        if (parent.has(p) && !badPeers.contains(parent.peer.id())) {
          score = Math.min(score, loadScore(parent));
        }
      }
      if (score < bestScore) {
        best = p;
        bestScore = score;
      }
      p = unpicked.nextSetBit(p + 1);
      if (p < 0) {
        p = unpicked.nextSetBit(0);
      }
      if (p == first) {
        break; // every unpicked piece seen
      }
    }
    unpicked.clear(best);
    return best;
  }

  /** Lower is better: requests in flight to it, and a small penalty for a holder of everything. */
  private static int loadScore(ParentState parent) {
    return parent.inflight * 4 + (parent.done ? 5 : 0);
  }

  private synchronized int parentCount() {
    return parents.size();
  }

  private synchronized ParentState pickParent(int piece) {
    ParentState best = null;
    int bestScore = Integer.MAX_VALUE;
    for (ParentState p : parents) {
      if (badPeers.contains(p.peer.id()) || !p.has(piece)) {
        continue;
      }
      // Few requests in flight first; a peer that is itself downloading beats one that holds
      // everything (often the one importer) unless it is busier, so load spreads over the swarm.
      int score = loadScore(p) + ThreadLocalRandom.current().nextInt(2);
      if (score < bestScore) {
        best = p;
        bestScore = score;
      }
    }
    if (best != null) {
      best.inflight++;
    }
    return best;
  }

  private void onParentFailure(ParentState parent, int piece, DfException e) {
    log.debug("task {} piece {} from {} failed: {}", taskId, piece, parent.peer.id(), e.getMessage());
    if (e.getMessage().startsWith(BUSY)) {
      return; // a parent at its upload cap is fine, just not now: the retry picks another
    }
    boolean corrupt = e.code() == Code.ClientPieceDownloadFail && e.getMessage().contains("digest");
    env.metrics().pieces.labelValues(corrupt ? "corrupt" : "failed").inc();
    if (corrupt) {
      // A parent that serves bytes that do not match the signed piece list is never used again,
      // and the scheduler stops offering it for this task.
      badPeers.add(parent.peer.id());
      env.gateway().reportBadParent(taskId, parent.peer.id(), Code.ClientPieceDownloadFail);
      return;
    }
    synchronized (this) {
      if (++parent.failures >= 2) {
        badPeers.add(parent.peer.id());
      }
    }
  }

  /** Asks the scheduler for parents again, at most every REFRESH_EVERY; callers share one ask. */
  private synchronized CompletionStage<Void> refreshParents() {
    long now = System.nanoTime();
    if (!refreshing.isDone() || now - lastRefreshNanos < REFRESH_EVERY.toNanos()) {
      return refreshing;
    }
    lastRefreshNanos = now;
    refreshing = env.gateway().findParents(taskId, Set.copyOf(badPeers))
        .thenAccept(this::updateParents)
        .exceptionally(t -> null)
        .toCompletableFuture();
    return refreshing;
  }

  private synchronized void updateParents(FindParentsResponse found) {
    for (Parent proto : found.getParentsList()) {
      PeerEndpoint peer = PeerEndpoint.fromProto(proto.getHost());
      BitSet pieces = BitSet.valueOf(proto.getPieces().toByteArray());
      ParentState known = parents.stream().filter(p -> p.peer.id().equals(peer.id()))
          .findFirst().orElse(null);
      if (known == null) {
        parents.add(new ParentState(peer, proto.getDone(), pieces));
      } else {
        known.peer = peer;
        known.done |= proto.getDone();
        known.pieces.or(pieces);
      }
    }
  }

  private static CompletionStage<Void> delay(Duration d) {
    return CompletableFuture.runAsync(() -> {},
        CompletableFuture.delayedExecutor(d.toMillis(), TimeUnit.MILLISECONDS));
  }
}
