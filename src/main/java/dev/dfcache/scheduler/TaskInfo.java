package dev.dfcache.scheduler;

import dev.dfcache.cluster.CborSerializable;

/**
 * What the scheduler knows of a task's content, fixed at the first announce. The piece list itself
 * stays on the peers; its sign lets a downloader check a list it gets from any parent. A task of
 * one piece also keeps that piece's digest, so that RegisterPeerTask can answer SMALL with it.
 */
public record TaskInfo(long contentLength, int totalPieces, long pieceSize, String pieceListSign,
    int taskType, String singlePieceDigest) implements CborSerializable {

  boolean sameContentAs(TaskInfo other) {
    return contentLength == other.contentLength && pieceListSign.equals(other.pieceListSign);
  }
}
