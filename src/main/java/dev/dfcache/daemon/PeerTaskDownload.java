package dev.dfcache.daemon;

import dev.dfcache.api.common.Code;
import dev.dfcache.api.common.PieceInfo;
import dev.dfcache.api.common.SizeScope;
import dev.dfcache.api.peer.TaskDescription;
import dev.dfcache.api.scheduler.RegisterResult;
import dev.dfcache.api.scheduler.SinglePiece;
import dev.dfcache.common.ContentDigest;
import dev.dfcache.common.ContentMismatchException;
import dev.dfcache.common.CorruptPieceException;
import dev.dfcache.common.DfException;
import dev.dfcache.common.Digests;
import dev.dfcache.common.HostPort;
import dev.dfcache.common.PieceLayout;
import dev.dfcache.common.TaskIds;
import dev.dfcache.common.TransferProgress;
import dev.dfcache.storage.PartialTask;
import dev.dfcache.storage.StoredTask;
import dev.dfcache.storage.TaskMeta;
import dev.dfcache.storage.TaskOrigin;
import dev.dfcache.storage.TaskStore;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One download of a task from other peers. It registers with the scheduler (RegisterPeerTask),
 * then:
 * <ul>
 *   <li>EMPTY: nothing to fetch;
 *   <li>SMALL (one piece): fetches the piece from the holder the scheduler named, checked
 *       against the digest the scheduler recorded, with no report stream at all (the small
 *       exports are all latency);
 *   <li>NORMAL, or a SMALL fetch that failed: asks for the piece-list sign the task was
 *       announced with (DescribeTask) and runs a {@link SwarmDownload}.
 * </ul>
 * Then it publishes the task into the store and announces it.
 *
 * <p>A task whose id names its content (a {@code sha256:} cid) is kept only when its bytes hash
 * to that digest ({@link TaskStore#complete}). When they do not, the piece list the holder group
 * was announced with names other content: the parents the pieces came from are reported with the
 * group's sign, and the download starts again with the next group the scheduler knows, until one
 * verifies or none is left.
 */
final class PeerTaskDownload {
  private static final Logger log = LoggerFactory.getLogger(PeerTaskDownload.class);

  private final DaemonEnv env;
  private final TaskOrigin origin;
  private final String taskId;
  private final double limitBytesPerSecond;
  private final TransferProgress progress;
  private final Optional<ContentDigest> expected;
  private volatile PartialTask partial;
  private volatile SwarmDownload swarm;
  /** The parents of the attempt under way (the holder of a one-piece fetch, or the swarm's). */
  private volatile List<String> singleParent = List.of();
  /** Most holder groups tried before giving up (each costs a whole download). */
  static final int MAX_GROUPS = 8;
  /*
   * The holder groups (piece-list signs) of a content-addressed task tried so far: attempts run
   * one after another, each started from the end of the one before.
   */
  private final List<String> wrongSigns = new ArrayList<>();
  private final List<String> unavailableSigns = new ArrayList<>();
  private DfException lastUnavailable;

  PeerTaskDownload(DaemonEnv env, TaskOrigin origin, double limitBytesPerSecond,
      TransferProgress progress) {
    this.env = env;
    this.origin = origin;
    this.taskId = origin.taskId();
    this.limitBytesPerSecond = limitBytesPerSecond;
    this.progress = progress;
    this.expected = ContentDigest.namedBy(origin.url(), "");
  }

  CompletionStage<StoredTask> run() {
    return attempt();
  }

  /**
   * One download of one holder group: the one the scheduler registers this peer with, given the
   * groups it already tried ({@link #wrongSigns}, {@link #unavailableSigns}).
   */
  private CompletionStage<StoredTask> attempt() {
    long started = System.nanoTime();
    long[] marks = new long[3]; // registered, pieces in, published
    swarm = null;
    singleParent = List.of();
    List<String> refused = new ArrayList<>(wrongSigns);
    refused.addAll(unavailableSigns);
    CompletableFuture<RegisterResult> registered = env.gateway().register(origin, refused)
        .toCompletableFuture();
    CompletableFuture<StoredTask> kept = registered
        .thenCompose(r -> {
          marks[0] = System.nanoTime();
          return download(r);
        })
        .thenApplyAsync(done -> {
          marks[1] = System.nanoTime();
          StoredTask stored = env.store().complete(done);
          marks[2] = System.nanoTime();
          return stored;
        }, env.blocking());
    return kept
        .handle((stored, failure) -> {
          if (failure == null) {
            return CompletableFuture.completedFuture(stored);
          }
          PartialTask p = partial;
          if (p != null) {
            partial = null;
            env.store().abort(p);
          }
          DfException e = DfException.of(failure);
          String sign = registered.isDone() && !registered.isCompletedExceptionally()
              ? registered.join().getPieceMd5Sign() : "";
          if (e instanceof ContentMismatchException) {
            return refuteAndRetry(sign, e);
          }
          if (!refused.isEmpty() && e.code() == Code.PeerTaskNotFound) {
            // the scheduler knows no other content for the cid than what was tried
            env.gateway().leave(taskId);
            return CompletableFuture.<StoredTask>failedFuture(wrongSigns.isEmpty()
                ? lastUnavailable : noMatchingHolder());
          }
          if (expected.isPresent() && !sign.isEmpty() && mayTryAnotherGroup(e)
              && refused.size() + 1 < MAX_GROUPS) {
            // A group whose holders could not serve it (a squatter's announce with nothing
            // behind it, or holders gone): another content announced for the cid may serve.
            log.info("task {}: holder group {} could not be downloaded ({}), trying another",
                taskId, sign, e.getMessage());
            unavailableSigns.add(sign);
            lastUnavailable = e;
            return attempt();
          }
          if (registered.isDone() && !registered.isCompletedExceptionally()) {
            env.gateway().leave(taskId);
          }
          return CompletableFuture.<StoredTask>failedFuture(e);
        })
        .thenCompose(x -> x)
        .thenApply(stored -> {
          // This peer now holds the whole task. Telling the scheduler is not on the export's
          // critical path: the parents it came from still serve it meanwhile. The announce says
          // all that ReportPeerResult would (and survives a scheduler failover), so a dfcache
          // daemon sends no ReportPeerResult: one call less per download.
          NetworkDeletes.announce(env, stored.meta(), env.settings().announceAttempts(), false)
              .exceptionally(t -> {
                log.warn("task {} downloaded but not announced yet: {}", taskId, t.getMessage());
                return null;
              });
          long ms = (System.nanoTime() - started) / 1_000_000;
          SwarmDownload s = swarm;
          log.info("downloaded task {} ({} bytes, {} pieces) in {} ms (register {}, pieces {}, "
                  + "publish {} ms), pieces by parent: {}", taskId, stored.contentLength(),
              stored.meta().pieceCount(), ms, millis(started, marks[0]),
              millis(marks[0], marks[1]), millis(marks[1], marks[2]),
              s == null ? "all from one holder (one piece)" : s.sources());
          return stored;
        });
  }

  /**
   * The group's pieces each matched its piece list, and together they are not the content the
   * cid names: every parent they came from is reported with the group's sign (the scheduler
   * drops the group once enough hosts did), and the next group is tried.
   */
  private CompletionStage<StoredTask> refuteAndRetry(String sign, DfException mismatch) {
    List<String> parents = parentsOfAttempt();
    log.warn("task {}: {} (holder group {}, parents {}): reporting them, trying another group",
        taskId, mismatch.getMessage(), sign.isEmpty() ? "?" : sign, parents);
    env.metrics().pieces.labelValues("corrupt").inc();
    List<CompletableFuture<?>> reports = new ArrayList<>();
    for (String parent : parents) {
      reports.add(env.gateway().reportBadParent(taskId, parent, Code.ClientPieceDownloadFail, sign)
          .toCompletableFuture().exceptionally(t -> null));
    }
    boolean again = !sign.isEmpty() && !wrongSigns.contains(sign)
        && wrongSigns.size() + unavailableSigns.size() + 1 < MAX_GROUPS;
    if (!sign.isEmpty() && !wrongSigns.contains(sign)) {
      wrongSigns.add(sign);
    }
    CompletableFuture<Void> reported =
        CompletableFuture.allOf(reports.toArray(CompletableFuture[]::new));
    if (!again) {
      // a scheduler that names no groups cannot be asked for another one
      env.gateway().leave(taskId);
      return reported.thenCompose(v -> CompletableFuture.failedFuture(
          wrongSigns.isEmpty() ? mismatch : noMatchingHolder()));
    }
    return reported.thenCompose(v -> attempt());
  }

  /**
   * Failures another holder group may not have: not our disk, not a deletion, not a refusal or
   * a timeout of the caller's.
   */
  private static boolean mayTryAnotherGroup(DfException e) {
    return switch (e.code()) {
      case ResourceLacked, TaskDeleted, PermissionDenied, BadRequest, RequestTimeOut -> false;
      default -> true;
    };
  }

  private List<String> parentsOfAttempt() {
    SwarmDownload s = swarm;
    return s != null ? s.parentsUsed() : singleParent;
  }

  private DfException noMatchingHolder() {
    return new ContentMismatchException("no peer holds the content of "
        + TaskIds.cidOf(origin.url()) + ": the " + wrongSigns.size() + " piece list(s) it was "
        + "announced with and downloaded by (" + String.join(", ", wrongSigns) + ") name other "
        + "bytes, their holders were reported"
        + (unavailableSigns.isEmpty() ? "" : "; " + unavailableSigns.size()
            + " other(s) could not be downloaded (last: " + lastUnavailable.getMessage() + ")"));
  }

  private static String millis(long from, long to) {
    return String.format(java.util.Locale.ROOT, "%.1f", (to - from) / 1e6);
  }

  /**
   * EMPTY and SMALL answers carry all the task is (a SMALL one the piece's digest, which the
   * scheduler recorded at announce as it did the sign), so only a NORMAL download asks for the
   * task's description.
   */
  private CompletionStage<PartialTask> download(RegisterResult registered) {
    if (registered.getSizeScope() == SizeScope.EMPTY) {
      TaskDescription empty = describedBy(registered, 0, List.of());
      return CompletableFuture.supplyAsync(
          () -> partial = env.store().beginDownload(metaOf(origin, empty, List.of()),
              expected.orElse(null)),
          env.blocking());
    }
    if (registered.getSizeScope() == SizeScope.SMALL && registered.hasSinglePiece()) {
      PieceInfo piece = registered.getSinglePiece().getPieceInfo();
      TaskDescription task = describedBy(registered, Integer.toUnsignedLong(piece.getRangeSize()),
          List.of(piece.getPieceMd5()));
      return downloadSinglePiece(registered.getSinglePiece(), task)
          .handle((p, t) -> {
            if (t == null) {
              return CompletableFuture.completedFuture(p);
            }
            DfException e = DfException.of(t);
            if (e.code() == Code.ResourceLacked) {
              return CompletableFuture.<PartialTask>failedFuture(e); // our disk: nobody helps
            }
            String holder = registered.getSinglePiece().getDstPid();
            log.info("task {}: one-piece fetch from {} failed ({}), trying the swarm", taskId,
                holder, e.getMessage());
            // A corrupt holder is reported first, so the swarm is not offered it again.
            CompletionStage<?> reported = e instanceof CorruptPieceException
                ? env.gateway().reportBadParent(taskId, holder, Code.ClientPieceDownloadFail)
                    .exceptionally(x -> null)
                : CompletableFuture.completedFuture(null);
            return reported.thenCompose(v -> describeAndSwarm(registered.getPieceMd5Sign()))
                .exceptionally(swarmFailure -> {
                  DfException last = DfException.of(swarmFailure);
                  throw new DfException(last.code(), last.getMessage()
                      + " (the one-piece fetch from " + holder + " failed: " + e.getMessage()
                      + ")");
                });
          })
          .thenCompose(s -> s);
    }
    return describeAndSwarm(registered.getPieceMd5Sign());
  }

  /** What an EMPTY or SMALL registration says of the task, as DescribeTask would. */
  private TaskDescription describedBy(RegisterResult registered, long length,
      List<String> digests) {
    return TaskDescription.newBuilder()
        .setTaskId(taskId)
        .setContentLength(length)
        .setTotalPieceCount(digests.size())
        // what the scheduler takes as the piece size of an announce of at most one piece
        .setPieceSize(digests.isEmpty() ? PieceLayout.pieceSizeFor(0) : length)
        .setPieceMd5Sign(Digests.pieceListSign(digests))
        .setTaskType(registered.getTaskType())
        .setExpiresAt(registered.getExpiresAt())
        .build();
  }

  private CompletionStage<PartialTask> describeAndSwarm(String sign) {
    return env.gateway().describe(taskId, sign).thenCompose(this::swarmDownload);
  }

  private CompletionStage<PartialTask> swarmDownload(TaskDescription task) {
    SwarmDownload s = new SwarmDownload(env, origin, task, limitBytesPerSecond, progress,
        expected.orElse(null));
    swarm = s;
    return s.run().whenComplete((p, t) -> {
      PartialTask begun = s.partial();
      if (begun != null) {
        partial = begun;
      }
    });
  }

  /**
   * A task of one piece needs no piece list: the scheduler's sign is the SHA-256 of the piece
   * digests, so the piece itself, once hashed, is checked against the sign.
   */
  private CompletionStage<PartialTask> downloadSinglePiece(SinglePiece single,
      TaskDescription task) {
    String address;
    try {
      address = HostPort.parse(single.getDstAddr()).toString();
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(new DfException(Code.ClientPieceRequestFail,
          "bad upload address '" + single.getDstAddr() + "'"));
    }
    PartialTask.IncomingPiece incoming =
        PartialTask.IncomingPiece.expecting(0, task.getContentLength());
    progress.total(task.getContentLength());
    return new PieceFetcher(env, taskId)
        .fetch(address, single.getDstPid(), 0, incoming, () -> false)
        .thenApplyAsync(arrived -> {
          String digest = incoming.digestHex();
          if (!Digests.pieceListSign(List.of(digest)).equals(task.getPieceMd5Sign())) {
            env.metrics().pieces.labelValues("corrupt").inc();
            throw new CorruptPieceException("piece 0 from " + single.getDstPid()
                + " does not match the recorded digest");
          }
          PartialTask p = env.store().beginDownload(metaOf(origin, task, List.of(digest)),
              expected.orElse(null));
          partial = p;
          singleParent = List.of(single.getDstPid());
          try {
            p.commit(incoming);
          } catch (java.io.IOException e) {
            throw TaskStore.ioFailure("writing piece 0", e);
          }
          env.metrics().downloadedBytes.inc(incoming.size());
          env.metrics().pieces.labelValues("ok").inc();
          progress.addFrom(single.getDstPid(), incoming.size());
          return p;
        }, env.blocking())
        .whenComplete((p, t) -> {
          PartialTask begun = partial;
          if (t != null && begun != null) {
            partial = null;
            env.store().abort(begun);
          }
        });
  }

  /** The task's metadata from the scheduler's description and a piece list that matches it. */
  static TaskMeta metaOf(TaskOrigin origin, TaskDescription task, List<String> digests) {
    if (digests.size() != task.getTotalPieceCount()
        || !Digests.pieceListSign(digests).equals(task.getPieceMd5Sign())) {
      throw new CorruptPieceException(
          "piece list does not match the sign the scheduler recorded");
    }
    return new TaskMeta(TaskMeta.CURRENT_VERSION, origin.taskId(), origin.url(), origin.tag(),
        origin.application(), task.getTaskTypeValue(), task.getContentLength(),
        task.getPieceSize(), List.copyOf(digests), task.getPieceMd5Sign(),
        System.currentTimeMillis(), true, task.getExpiresAt(), origin.replicaCount());
  }
}
