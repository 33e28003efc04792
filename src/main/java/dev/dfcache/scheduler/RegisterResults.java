package dev.dfcache.scheduler;

import dev.dfcache.api.common.PieceInfo;
import dev.dfcache.api.common.SizeScope;
import dev.dfcache.api.scheduler.RegisterResult;
import dev.dfcache.api.scheduler.SinglePiece;
import dev.dfcache.common.PeerEndpoint;

/**
 * RegisterPeerTask's answer, Dragonfly's way: EMPTY for an empty task; SMALL for a task of one
 * piece, with the piece (its digest) and a live holder's upload address, so the peer fetches it
 * with no report stream at all; NORMAL otherwise (parents come on ReportPieceResult). dfcache does
 * not answer TINY: the scheduler never holds task bytes.
 */
final class RegisterResults {
  private RegisterResults() {}

  static RegisterResult of(String taskId, TaskEntity.Registered r) {
    TaskInfo info = r.info();
    RegisterResult.Builder b = RegisterResult.newBuilder()
        .setTaskId(taskId)
        .setTaskTypeValue(info.taskType())
        .setExpiresAt(info.expiresAtMillis())
        .setPieceMd5Sign(info.pieceListSign());
    if (info.contentLength() == 0) {
      return b.setSizeScope(SizeScope.EMPTY).build();
    }
    PeerEndpoint holder = r.singlePieceHolder();
    if (holder == null) {
      return b.setSizeScope(SizeScope.NORMAL).build();
    }
    return b.setSizeScope(SizeScope.SMALL)
        .setSinglePiece(SinglePiece.newBuilder()
            .setDstPid(holder.id())
            .setDstAddr(holder.uploadAddress())
            .setPieceInfo(PieceInfo.newBuilder()
                .setPieceNum(0)
                .setRangeStart(0)
                .setRangeSize((int) info.contentLength())
                .setPieceMd5(info.singlePieceDigest())
                .setPieceOffset(0)))
        .build();
  }
}
