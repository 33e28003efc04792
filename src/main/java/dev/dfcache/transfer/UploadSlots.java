package dev.dfcache.transfer;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * Which piece uploads this daemon takes on, so that a seed feeds a swarm rather than splitting its
 * link into slivers. A request is refused (503, the downloader goes elsewhere for a while) when:
 * <ul>
 *   <li>the daemon serves {@code maxTotal} uploads already (max-concurrent-uploads);
 *   <li>it serves {@code maxPerTask} uploads of that task already: each upload then gets a fair
 *       share of the link and finishes early, and the downloaders it refuses take pieces from
 *       each other meanwhile;
 *   <li>it is uploading that very piece to another peer right now: two downloaders would get the
 *       same bytes from here while the other pieces wait (the "super-seeding" idea: a seed hands
 *       out different pieces, and the downloaders pass them on).
 * </ul>
 */
public final class UploadSlots {
  public enum Refusal { HOST_FULL, TASK_FULL, PIECE_BUSY }

  private final int maxTotal;
  private final int maxPerTask;
  private int total;
  /** Task id -> range starts being uploaded now. */
  private final Map<String, Set<Long>> byTask = new HashMap<>();

  public UploadSlots(int maxTotal, int maxPerTask) {
    this.maxTotal = maxTotal;
    this.maxPerTask = maxPerTask <= 0 ? Integer.MAX_VALUE : maxPerTask;
  }

  /** Takes a slot for the range of the task that starts at {@code start}, or says why not. */
  public synchronized Refusal tryAcquire(String taskId, long start) {
    if (total >= maxTotal) {
      return Refusal.HOST_FULL;
    }
    Set<Long> starts = byTask.get(taskId);
    if (starts != null) {
      if (starts.size() >= maxPerTask) {
        return Refusal.TASK_FULL;
      }
      if (starts.contains(start)) {
        return Refusal.PIECE_BUSY;
      }
    }
    byTask.computeIfAbsent(taskId, k -> new HashSet<>(4)).add(start);
    total++;
    return null;
  }

  public synchronized void release(String taskId, long start) {
    Set<Long> starts = byTask.get(taskId);
    if (starts != null && starts.remove(start)) {
      total--;
      if (starts.isEmpty()) {
        byTask.remove(taskId);
      }
    }
  }

  public synchronized int active() {
    return total;
  }
}
