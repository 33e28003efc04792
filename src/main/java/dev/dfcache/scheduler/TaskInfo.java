package dev.dfcache.scheduler;

import dev.dfcache.cluster.CborSerializable;

/**
 * What the scheduler knows of a task's content, fixed at the first announce. The piece list itself
 * stays on the peers; its sign lets a downloader check a list it gets from any parent.
 */
public record TaskInfo(long contentLength, int totalPieces, long pieceSize, String pieceListSign,
    int taskType) implements CborSerializable {

  boolean sameContentAs(TaskInfo other) {
    return contentLength == other.contentLength && pieceListSign.equals(other.pieceListSign);
  }
}
