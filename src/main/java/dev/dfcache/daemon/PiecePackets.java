package dev.dfcache.daemon;

import dev.dfcache.api.common.PieceInfo;
import dev.dfcache.api.common.PiecePacket;
import dev.dfcache.api.common.PieceStyle;
import dev.dfcache.common.PeerEndpoint;
import dev.dfcache.common.PieceLayout;
import dev.dfcache.storage.TaskMeta;
import java.util.function.IntPredicate;

/** Piece lists on the wire (common.PiecePacket), built from a task's metadata. */
final class PiecePackets {
  private PiecePackets() {}

  /**
   * The pieces {@code have} accepts, from {@code start}, at most {@code limit} of them (0 = all).
   */
  static PiecePacket of(TaskMeta meta, PeerEndpoint self, int start, int limit, IntPredicate have) {
    PieceLayout layout = meta.layout();
    PiecePacket.Builder b = PiecePacket.newBuilder()
        .setTaskId(meta.taskId())
        .setDstPid(self.id())
        .setDstAddr(self.uploadAddress())
        .setTotalPiece(meta.pieceCount())
        .setContentLength(meta.contentLength())
        .setPieceMd5Sign(meta.pieceListSign());
    int max = limit <= 0 ? Integer.MAX_VALUE : limit;
    for (int n = Math.max(0, start); n < meta.pieceCount() && b.getPieceInfosCount() < max; n++) {
      if (have.test(n)) {
        b.addPieceInfos(PieceInfo.newBuilder()
            .setPieceNum(n)
            .setRangeStart(layout.offsetOf(n))
            .setRangeSize(layout.sizeOf(n))
            .setPieceMd5(meta.pieceDigests().get(n))
            .setPieceOffset(layout.offsetOf(n))
            .setPieceStyle(PieceStyle.PLAIN));
      }
    }
    return b.build();
  }

  static PiecePacket all(TaskMeta meta, PeerEndpoint self) {
    return of(meta, self, 0, 0, n -> true);
  }
}
