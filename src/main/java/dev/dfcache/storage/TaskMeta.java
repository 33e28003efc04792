package dev.dfcache.storage;

import dev.dfcache.common.Digests;
import dev.dfcache.common.PieceLayout;
import java.util.List;

/**
 * What a peer knows about a task it stores, written as meta.json next to the data file (temp file
 * then rename, so a reader sees the old or the new file, never half of one).
 */
public record TaskMeta(
    int version,
    String taskId,
    String url,
    String tag,
    String application,
    int taskType,
    long contentLength,
    long pieceSize,
    List<String> pieceDigests,
    String pieceListSign,
    long createdAtMillis,
    boolean done,
    /** when every holder drops the task (epoch ms; 0 = never; absent in older meta.json) */
    long expiresAtMillis,
    /**
     * complete copies the network keeps, on the importer and on the copies made for that (0 =
     * not a replica: a user's export, or no target)
     */
    int replicaCount) {

  public static final int CURRENT_VERSION = 1;

  public static TaskMeta complete(TaskOrigin origin, PieceLayout layout, List<String> digests) {
    return new TaskMeta(CURRENT_VERSION, origin.taskId(), origin.url(), origin.tag(),
        origin.application(), origin.taskType(), layout.contentLength(), layout.pieceSize(),
        List.copyOf(digests), Digests.pieceListSign(digests), System.currentTimeMillis(), true,
        origin.expiresAtMillis(), origin.replicaCount());
  }

  /** Its TTL ran out: the task no longer exists, whatever is still on disk. */
  public boolean expiredAt(long nowMillis) {
    return expiresAtMillis > 0 && nowMillis >= expiresAtMillis;
  }

  /** One of the copies the network keeps: the cache evicts it last. */
  public boolean isReplica() {
    return replicaCount > 1;
  }

  public PieceLayout layout() {
    return new PieceLayout(contentLength, pieceSize);
  }

  public int pieceCount() {
    return pieceDigests.size();
  }

  public TaskOrigin origin() {
    return new TaskOrigin(taskId, url, tag, application, taskType, expiresAtMillis,
        replicaCount);
  }
}
