package dev.dfcache.transfer;

import java.util.HashMap;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

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

  private int maxTotal;
  private final int maxPerTask;
  private int total;
  private final Map<String, TaskUploads> byTask = new HashMap<>();

  /** The uploads of one task in progress: range start -> the peers it is being sent to. */
  private static final class TaskUploads {
    int count;
    final Map<Long, List<String>> peersByStart = new HashMap<>(4);
  }

  public UploadSlots(int maxTotal, int maxPerTask) {
    this.maxTotal = maxTotal;
    this.maxPerTask = maxPerTask <= 0 ? Integer.MAX_VALUE : maxPerTask;
  }

  /**
   * Takes a slot for the range of the task that starts at {@code start}, asked for by
   * {@code peerId} ("" = a client that names none: the one-piece rule does not apply to it, nor
   * to a peer asking again for what it is still being sent), or says why not.
   */
  public synchronized Refusal tryAcquire(String taskId, long start, String peerId) {
    if (total >= maxTotal) {
      return Refusal.HOST_FULL;
    }
    TaskUploads uploads = byTask.get(taskId);
    if (uploads != null) {
      if (uploads.count >= maxPerTask) {
        return Refusal.TASK_FULL;
      }
      List<String> to = uploads.peersByStart.get(start);
      if (!peerId.isEmpty() && to != null && to.stream().anyMatch(p -> !p.equals(peerId))) {
        return Refusal.PIECE_BUSY;
      }
    }
    uploads = byTask.computeIfAbsent(taskId, k -> new TaskUploads());
    uploads.count++;
    uploads.peersByStart.computeIfAbsent(start, k -> new ArrayList<>(1)).add(peerId);
    total++;
    return null;
  }

  public synchronized void release(String taskId, long start, String peerId) {
    TaskUploads uploads = byTask.get(taskId);
    List<String> to = uploads == null ? null : uploads.peersByStart.get(start);
    if (to == null || !to.remove(peerId)) {
      return; // never taken
    }
    if (to.isEmpty()) {
      uploads.peersByStart.remove(start);
    }
    uploads.count--;
    total--;
    if (uploads.count == 0) {
      byTask.remove(taskId);
    }
  }

  public synchronized int active() {
    return total;
  }

  public synchronized int maxTotal() {
    return maxTotal;
  }

  /** A new host-wide limit; uploads above it finish, new ones wait for the count to drop. */
  public synchronized void setMaxTotal(int max) {
    maxTotal = Math.max(1, max);
  }
}
