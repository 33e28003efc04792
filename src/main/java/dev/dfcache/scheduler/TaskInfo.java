package dev.dfcache.scheduler;

import dev.dfcache.cluster.CborSerializable;

/**
 * What the scheduler knows of a task's content, fixed at the first announce. The piece list itself
 * stays on the peers; its sign lets a downloader check a list it gets from any parent. A task of
 * one piece also keeps that piece's digest, so that RegisterPeerTask can answer SMALL with it.
 * And when the task expires (epoch ms, 0 = never), as its import's TTL set it; the url and tag
 * it was announced with (empty when the announce's url did not match the task id), for listings.
 */
public record TaskInfo(long contentLength, int totalPieces, long pieceSize, String pieceListSign,
    int taskType, String singlePieceDigest, long expiresAtMillis, String url, String tag)
    implements CborSerializable {

  /**
   * The same task with the expiry that holds after {@code announced}: a fresh import sets it
   * (a new TTL), a re-announce of an older copy never shortens it.
   */
  TaskInfo expiryAfter(TaskInfo announced, boolean fresh) {
    long at = fresh ? announced.expiresAtMillis
        : (expiresAtMillis == 0 || announced.expiresAtMillis == 0) ? 0
        : Math.max(expiresAtMillis, announced.expiresAtMillis);
    return new TaskInfo(announced.contentLength, announced.totalPieces, announced.pieceSize,
        announced.pieceListSign, announced.taskType, announced.singlePieceDigest, at,
        announced.url.isEmpty() ? url : announced.url,
        announced.url.isEmpty() ? tag : announced.tag);
  }

  boolean expiredAt(long nowMillis) {
    return expiresAtMillis > 0 && nowMillis >= expiresAtMillis;
  }

  boolean sameContentAs(TaskInfo other) {
    return contentLength == other.contentLength && pieceListSign.equals(other.pieceListSign);
  }
}
