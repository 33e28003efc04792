package dev.dfcache.daemon;

import dev.dfcache.api.common.PiecePacket;
import dev.dfcache.api.common.PieceTaskRequest;
import dev.dfcache.common.DfException;
import dev.dfcache.common.GrpcErrors;
import dev.dfcache.common.TaskIds;
import dev.dfcache.storage.PartialTask;
import dev.dfcache.storage.ServableTask;
import dev.dfcache.storage.StoredTask;
import java.util.BitSet;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.NotUsed;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.javadsl.Source;

/**
 * SyncPieceTasks, as Dragonfly v1 peers use it: the first request opens a stream of the pieces
 * this daemon holds of the task, now and then each time it verifies more, until it holds them
 * all (then the stream ends). A downloader learns from it, with no polling and no scheduler in
 * between, which pieces it may fetch from this parent as soon as they land. Later requests on the
 * same stream are answered with a snapshot, as GetPieceTasks would.
 */
final class PieceTaskStreams {
  /** A stream with nothing new re-checks the store this often (a task deleted meanwhile). */
  private static final long RECHECK_MS = 5_000;

  private final DaemonEnv env;

  PieceTaskStreams(DaemonEnv env) {
    this.env = env;
  }

  Source<PiecePacket, NotUsed> open(Source<PieceTaskRequest, NotUsed> in,
      java.util.function.Function<PieceTaskRequest, PiecePacket> snapshot) {
    return in.prefixAndTail(1).flatMapConcat(pair -> {
      if (pair.first().isEmpty()) {
        return Source.<PiecePacket>empty();
      }
      PieceTaskRequest first = pair.first().get(0);
      String taskId;
      try {
        taskId = TaskIds.requireValidTaskId(first.getTaskId());
      } catch (RuntimeException e) {
        return Source.<PiecePacket>failed(GrpcErrors.toGrpc(DfException.of(e)));
      }
      BitSet sent = new BitSet();
      sent.set(0, (int) Math.min(Integer.MAX_VALUE, Integer.toUnsignedLong(first.getStartNum())));
      Source<PiecePacket, NotUsed> live = Source.unfoldAsync(new Live(taskId, sent, true),
          this::next);
      return live.merge(pair.second().map(snapshot::apply), true);
    });
  }

  /** What one stream has told so far. */
  private record Live(String taskId, BitSet sent, boolean first) {}

  private CompletionStage<Optional<Pair<Live, PiecePacket>>> next(Live s) {
    if (s.sent() == null) {
      return CompletableFuture.completedFuture(Optional.empty()); // the last packet went out
    }
    Optional<ServableTask> found = env.store().servable(s.taskId());
    if (found.isEmpty()) {
      if (s.first()) {
        return CompletableFuture.failedFuture(GrpcErrors.toGrpc(
            DfException.notFound("task " + s.taskId() + " not found")));
      }
      return CompletableFuture.completedFuture(Optional.empty()); // aborted or deleted
    }
    if (found.get() instanceof StoredTask done) {
      BitSet sent = s.sent();
      PiecePacket packet = PiecePackets.of(done.meta(), env.self(), 0, 0, n -> !sent.get(n));
      return CompletableFuture.completedFuture(
          Optional.of(Pair.create(new Live(s.taskId(), null, false), packet)));
    }
    PartialTask partial = (PartialTask) found.get();
    CompletionStage<Void> change = partial.nextChange(); // before reading: no piece slips by
    BitSet fresh = partial.verifiedPieces();
    fresh.andNot(s.sent());
    if (!fresh.isEmpty() || s.first()) {
      PiecePacket packet = PiecePackets.of(partial.meta(), env.self(), 0, 0, fresh::get);
      BitSet sent = (BitSet) s.sent().clone();
      sent.or(fresh);
      return CompletableFuture.completedFuture(
          Optional.of(Pair.create(new Live(s.taskId(), sent, false), packet)));
    }
    // A closed partial task (being published as complete) has no next change: look again soon.
    CompletableFuture<Void> wake = change.toCompletableFuture().isDone()
        ? CompletableFuture.runAsync(() -> {},
            CompletableFuture.delayedExecutor(20, TimeUnit.MILLISECONDS))
        : change.toCompletableFuture().copy()
            .completeOnTimeout(null, RECHECK_MS, TimeUnit.MILLISECONDS);
    return wake.thenCompose(v -> next(s));
  }
}
