package dev.dfcache.daemon;

import dev.dfcache.api.common.Code;
import dev.dfcache.api.common.SizeScope;
import dev.dfcache.api.peer.TaskDescription;
import dev.dfcache.api.scheduler.RegisterResult;
import dev.dfcache.api.scheduler.SinglePiece;
import dev.dfcache.common.CorruptPieceException;
import dev.dfcache.common.DfException;
import dev.dfcache.common.Digests;
import dev.dfcache.common.HostPort;
import dev.dfcache.storage.PartialTask;
import dev.dfcache.storage.StoredTask;
import dev.dfcache.storage.TaskMeta;
import dev.dfcache.storage.TaskOrigin;
import dev.dfcache.storage.TaskStore;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One download of a task from other peers. It registers with the scheduler (RegisterPeerTask)
 * while asking for the piece-list sign the task was announced with (DescribeTask), then:
 * <ul>
 *   <li>EMPTY: nothing to fetch;
 *   <li>SMALL (one piece): fetches the piece from the holder the scheduler named, checked
 *       against the sign, with no report stream at all (the small exports are all latency);
 *   <li>NORMAL, or a SMALL fetch that failed: a {@link SwarmDownload}.
 * </ul>
 * Then it publishes the task into the store and announces it.
 */
final class PeerTaskDownload {
  private static final Logger log = LoggerFactory.getLogger(PeerTaskDownload.class);

  private final DaemonEnv env;
  private final TaskOrigin origin;
  private final String taskId;
  private final double limitBytesPerSecond;
  private volatile PartialTask partial;
  private volatile SwarmDownload swarm;

  PeerTaskDownload(DaemonEnv env, TaskOrigin origin, double limitBytesPerSecond) {
    this.env = env;
    this.origin = origin;
    this.taskId = origin.taskId();
    this.limitBytesPerSecond = limitBytesPerSecond;
  }

  CompletionStage<StoredTask> run() {
    long started = System.nanoTime();
    CompletableFuture<RegisterResult> registered = env.gateway().register(origin)
        .toCompletableFuture();
    CompletableFuture<TaskDescription> described = env.gateway().describe(taskId)
        .toCompletableFuture();
    return registered.thenCombine(described, (r, d) -> new Object[] {r, d})
        .thenCompose(both -> download((RegisterResult) both[0], (TaskDescription) both[1]))
        .thenApplyAsync(done -> env.store().complete(done), env.blocking())
        .thenApply(stored -> {
          // This peer now holds the whole task. Telling the scheduler is not on the export's
          // critical path: the parents it came from still serve it meanwhile.
          env.gateway().announce(stored.meta(), env.settings().announceAttempts())
              .exceptionally(t -> {
                log.warn("task {} downloaded but not announced yet: {}", taskId, t.getMessage());
                return null;
              });
          long ms = (System.nanoTime() - started) / 1_000_000;
          env.gateway().reportPeerResult(taskId, true, stored.contentLength(), ms,
              stored.meta().pieceCount(), Code.Success).exceptionally(t -> null);
          SwarmDownload s = swarm;
          log.info("downloaded task {} ({} bytes, {} pieces) in {} ms, pieces by parent: {}",
              taskId, stored.contentLength(), stored.meta().pieceCount(), ms,
              s == null ? "all from one holder (one piece)" : s.sources());
          return stored;
        })
        .whenComplete((stored, failure) -> {
          if (failure != null) {
            PartialTask p = partial;
            if (p != null) {
              env.store().abort(p);
            }
            if (registered.isDone() && !registered.isCompletedExceptionally()) {
              env.gateway().reportPeerResult(taskId, false, 0,
                  (System.nanoTime() - started) / 1_000_000, 0, DfException.of(failure).code())
                  .exceptionally(t -> null);
              env.gateway().leave(taskId);
            }
          }
        });
  }

  private CompletionStage<PartialTask> download(RegisterResult registered, TaskDescription task) {
    if (registered.getSizeScope() == SizeScope.EMPTY || task.getContentLength() == 0) {
      return CompletableFuture.supplyAsync(
          () -> partial = env.store().beginDownload(metaOf(origin, task, List.of())),
          env.blocking());
    }
    if (registered.getSizeScope() == SizeScope.SMALL && registered.hasSinglePiece()
        && task.getTotalPieceCount() == 1) {
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
            return reported.thenCompose(v -> swarmDownload(task))
                .exceptionally(swarmFailure -> {
                  DfException last = DfException.of(swarmFailure);
                  throw new DfException(last.code(), last.getMessage()
                      + " (the one-piece fetch from " + holder + " failed: " + e.getMessage()
                      + ")");
                });
          })
          .thenCompose(s -> s);
    }
    return swarmDownload(task);
  }

  private CompletionStage<PartialTask> swarmDownload(TaskDescription task) {
    SwarmDownload s = new SwarmDownload(env, origin, task, limitBytesPerSecond);
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
    return new PieceFetcher(env, taskId)
        .fetch(address, single.getDstPid(), 0, incoming, () -> false)
        .thenApplyAsync(arrived -> {
          String digest = incoming.digestHex();
          if (!Digests.pieceListSign(List.of(digest)).equals(task.getPieceMd5Sign())) {
            env.metrics().pieces.labelValues("corrupt").inc();
            throw new CorruptPieceException("piece 0 from " + single.getDstPid()
                + " does not match the recorded digest");
          }
          PartialTask p = env.store().beginDownload(metaOf(origin, task, List.of(digest)));
          partial = p;
          try {
            p.commit(incoming);
          } catch (java.io.IOException e) {
            throw TaskStore.ioFailure("writing piece 0", e);
          }
          env.metrics().downloadedBytes.inc(incoming.size());
          env.metrics().pieces.labelValues("ok").inc();
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
        System.currentTimeMillis(), true);
  }
}
