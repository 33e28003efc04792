package dev.dfcache.daemon;

import static dev.dfcache.common.GrpcErrors.guard;

import com.google.protobuf.Empty;
import dev.dfcache.api.common.PiecePacket;
import dev.dfcache.api.common.PieceTaskRequest;
import dev.dfcache.api.dfdaemon.Daemon;
import dev.dfcache.api.dfdaemon.DeleteTaskRequest;
import dev.dfcache.api.dfdaemon.ExportTaskRequest;
import dev.dfcache.api.dfdaemon.ImportTaskRequest;
import dev.dfcache.api.dfdaemon.StatTaskRequest;
import dev.dfcache.common.DfException;
import dev.dfcache.common.TaskIds;
import dev.dfcache.storage.PartialTask;
import dev.dfcache.storage.ServableTask;
import dev.dfcache.storage.StoredTask;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.javadsl.Source;

/**
 * dfdaemon.Daemon on the TCP port: the peer API (GetPieceTasks, SyncPieceTasks, CheckHealth)
 * that other daemons and v1 peers call. The local API methods (Stat/Import/Export/Delete) are
 * served on the unix socket ({@code LocalSocketServer}); here they reach {@link LocalApi} only
 * when the legacy TCP local API is switched on, and {@link TcpLocalApiGate} lets only callers on
 * this host through, acting as the daemon itself inside the allowed directories.
 */
public final class DaemonService implements Daemon {
  private final DaemonEnv env;
  private final LocalApi local;
  private final LocalApi.Access tcpAccess;
  private final PieceTaskStreams pieceStreams;
  private static final Empty EMPTY = Empty.getDefaultInstance();

  DaemonService(DaemonEnv env, LocalApi local, LocalApi.Access tcpAccess) {
    this.env = env;
    this.local = local;
    this.tcpAccess = tcpAccess;
    this.pieceStreams = new PieceTaskStreams(env);
  }

  @Override
  public CompletionStage<Empty> statTask(StatTaskRequest in) {
    return guard(() -> local.stat(in));
  }

  @Override
  public CompletionStage<Empty> importTask(ImportTaskRequest in) {
    // Dragonfly's answer has no room for a postponed announce's warning: the daemon logs it
    return guard(() -> local.importTask(in, tcpAccess).thenApply(imported -> EMPTY));
  }

  @Override
  public CompletionStage<Empty> exportTask(ExportTaskRequest in) {
    return guard(() -> local.exportTask(in, tcpAccess));
  }

  @Override
  public CompletionStage<Empty> deleteTask(DeleteTaskRequest in) {
    return guard(() -> local.deleteTask(in));
  }

  @Override
  public CompletionStage<Empty> checkHealth(Empty in) {
    return CompletableFuture.completedFuture(EMPTY);
  }

  @Override
  public CompletionStage<PiecePacket> getPieceTasks(PieceTaskRequest in) {
    return guard(() -> CompletableFuture.completedFuture(pieceTasks(in)));
  }

  @Override
  public Source<PiecePacket, NotUsed> syncPieceTasks(Source<PieceTaskRequest, NotUsed> in) {
    return pieceStreams.open(in, this::pieceTasks);
  }

  private PiecePacket pieceTasks(PieceTaskRequest in) {
    String taskId = TaskIds.requireValidTaskId(in.getTaskId());
    ServableTask task = env.store().servable(taskId)
        .orElseThrow(() -> DfException.notFound("task " + taskId + " not found"));
    int start = (int) Math.min(Integer.MAX_VALUE, Integer.toUnsignedLong(in.getStartNum()));
    int limit = (int) Math.min(Integer.MAX_VALUE, Integer.toUnsignedLong(in.getLimit()));
    if (task instanceof PartialTask p) {
      return PiecePackets.of(p.meta(), env.self(), start, limit, p::hasPiece);
    }
    return PiecePackets.of(((StoredTask) task).meta(), env.self(), start, limit, n -> true);
  }
}
