package dev.dfcache.daemon;

import dev.dfcache.api.common.Code;
import dev.dfcache.api.common.PieceInfo;
import dev.dfcache.api.scheduler.PeerPacket;
import dev.dfcache.api.scheduler.PieceResult;
import dev.dfcache.common.PieceMarks;
import dev.dfcache.rpc.StreamingMethod;
import dev.dfcache.storage.TaskOrigin;
import io.grpc.Metadata;
import io.grpc.Status;
import java.util.BitSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One download's ReportPieceResult stream to the scheduler fleet: it reports each piece as it
 * lands (which makes this peer a parent for the others at once) and hears the parents the
 * scheduler picks (PeerPackets), pushed whenever they change. When the stream breaks (a scheduler
 * node died) or the scheduler no longer knows this peer (its task moved), it registers again on
 * the next node and reopens, replaying the pieces held so far; the download goes on meanwhile
 * with the parents it has.
 */
final class ReportStream {
  private static final Logger log = LoggerFactory.getLogger(ReportStream.class);
  private static final int REOPEN_ATTEMPTS = 6;

  /** What the download hears. Called on grpc threads. */
  interface Owner {
    void onParents(PeerPacket packet);

    /** The scheduler cannot schedule this download (e.g. no live peer holds the task). */
    void onScheduleFailed(Code code);
  }

  private final DaemonEnv env;
  private final TaskOrigin origin;
  private final Owner owner;
  private final Supplier<BitSet> held;
  private StreamingMethod.Call<PieceResult> call;
  private boolean closed;
  /** The scheduler ended scheduling (a failure packet): no reopening. */
  private boolean ended;
  private int reopens;
  /** Which call is current: callbacks of an older one are ignored. */
  private int generation;

  /**
   * {@code sign}: the holder group the download follows; a registration again stays in it (the
   * parents of another group's content would not match the piece list it checks).
   */
  private final String sign;

  ReportStream(DaemonEnv env, TaskOrigin origin, String sign, Owner owner,
      Supplier<BitSet> held) {
    this.env = env;
    this.sign = sign;
    this.origin = origin;
    this.owner = owner;
    this.held = held;
  }

  synchronized void open() {
    int mine = ++generation;
    call = env.gateway().openReports(new StreamingMethod.Listener<>() {
      @Override
      public void onMessage(PeerPacket packet) {
        if (current(mine)) {
          onPacket(packet);
        }
      }

      @Override
      public void onClose(Status status, Metadata trailers) {
        if (current(mine)) {
          onEnd(status);
        }
      }
    });
    call.send(mark(PieceMarks.BEGIN_OF_PIECE));
    BitSet have = held.get();
    for (int n = have.nextSetBit(0); n >= 0; n = have.nextSetBit(n + 1)) {
      call.send(result(n, "", true, Code.Success, 0, 0));
    }
  }

  /** A piece landed (verified and written) from {@code parentId}, or failed there. */
  synchronized void report(int piece, String parentId, boolean success, Code code, long size,
      long costMs) {
    if (!closed && call != null) {
      call.send(result(piece, parentId, success, code, size, costMs));
    }
  }

  /** The download ended: with all pieces, an end-of-pieces mark first. */
  synchronized void close(boolean complete) {
    if (closed) {
      return;
    }
    closed = true;
    if (call != null) {
      if (complete) {
        call.send(mark(PieceMarks.END_OF_PIECE));
        call.halfClose();
      } else {
        call.cancel("download ended");
      }
    }
  }

  private synchronized boolean current(int callGeneration) {
    return callGeneration == generation && !closed;
  }

  private void onPacket(PeerPacket packet) {
    if (packet.getCode() == Code.Success) {
      owner.onParents(packet);
    } else if (packet.getCode() == Code.SchedPeerNotFound) {
      reopenLater("scheduler no longer knows this download");
    } else {
      synchronized (this) {
        ended = true;
      }
      owner.onScheduleFailed(packet.getCode());
    }
  }

  private void onEnd(Status status) {
    synchronized (this) {
      if (ended) {
        return;
      }
    }
    if (!status.isOk()) {
      env.gateway().reportsFailed();
    }
    reopenLater("report stream ended: " + status.getCode() + " " + status.getDescription());
  }

  /** No parents were heard for a while: register and open again (a message may be lost). */
  void nudge(String why) {
    reopenLater(why);
  }

  private void reopenLater(String why) {
    int attempt;
    synchronized (this) {
      if (closed || ended || reopens >= REOPEN_ATTEMPTS) {
        return;
      }
      attempt = ++reopens;
      generation++; // the old call's callbacks no longer count
      if (call != null) {
        call.cancel(why);
        call = null;
      }
    }
    log.info("task {}: {}; registering again (attempt {})", origin.taskId(), why, attempt);
    CompletableFuture.delayedExecutor(100L << Math.min(attempt, 4), TimeUnit.MILLISECONDS)
        .execute(() -> env.gateway().register(origin, java.util.List.of(), sign)
            .whenComplete((r, t) -> {
          if (t != null) {
            reopenLater("register failed: " + t.getMessage());
          } else {
            synchronized (this) {
              if (!closed) {
                open();
              }
            }
          }
        }));
  }

  private PieceResult mark(int piece) {
    return PieceResult.newBuilder().setTaskId(origin.taskId()).setSrcPid(env.self().id())
        .setPieceInfo(PieceInfo.newBuilder().setPieceNum(piece)).setSuccess(true)
        .setCode(Code.Success).build();
  }

  private PieceResult result(int piece, String parentId, boolean success, Code code, long size,
      long costMs) {
    long now = System.currentTimeMillis() * 1_000_000;
    return PieceResult.newBuilder()
        .setTaskId(origin.taskId())
        .setSrcPid(env.self().id())
        .setDstPid(parentId)
        .setPieceInfo(PieceInfo.newBuilder().setPieceNum(piece).setRangeSize((int) size)
            .setDownloadCost(Math.max(0, costMs)))
        .setBeginTime(now - costMs * 1_000_000)
        .setEndTime(now)
        .setSuccess(success)
        .setCode(code)
        .build();
  }
}
