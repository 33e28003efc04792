package dev.dfcache.transfer;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;

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
 *       out different pieces, and the downloaders pass them on);
 *   <li>it holds the whole task (a seed) and has just sent that piece to another peer: for as long
 *       as that upload took (0.25-3 s), the peer that has it now is the one to ask. Downloaders
 *       that pick the same rarest piece one after the other would otherwise have the seed send it
 *       again and again, each time the previous upload ended, while pieces nobody has yet wait.
 *       A downloader holding part of the task has no such rule: what it sends is already a copy.
 * </ul>
 */
public final class UploadSlots {
  public enum Refusal { HOST_FULL, TASK_FULL, PIECE_BUSY }

  private int maxTotal;
  private final int maxPerTask;
  private int total;
  private final Map<String, TaskUploads> byTask = new HashMap<>();
  /** Task -> range start -> the last upload of it that ended, of tasks held whole. */
  private final Map<String, Map<Long, Sent>> recentlySent = new HashMap<>();
  private final LongSupplier clock;

  static final long MIN_RESEND_GRACE_NANOS = 250_000_000L;
  static final long MAX_RESEND_GRACE_NANOS = 3_000_000_000L;

  /** An upload that ended: to whom, and until when another peer is refused the same piece. */
  private record Sent(String peerId, long untilNanos) {}

  /** The uploads of one task in progress: range start -> the peers it is being sent to. */
  private static final class TaskUploads {
    int count;
    final Map<Long, List<String>> peersByStart = new HashMap<>(4);
  }

  public UploadSlots(int maxTotal, int maxPerTask) {
    this(maxTotal, maxPerTask, System::nanoTime);
  }

  /** With a clock of the caller's (tests, the swarm simulation). */
  public UploadSlots(int maxTotal, int maxPerTask, LongSupplier clock) {
    this.maxTotal = maxTotal;
    this.maxPerTask = maxPerTask <= 0 ? Integer.MAX_VALUE : maxPerTask;
    this.clock = clock;
  }

  /**
   * Takes a slot for the range of the task that starts at {@code start}, asked for by
   * {@code peerId} ("" = a client that names none: the one-piece rule does not apply to it, nor
   * to a peer asking again for what it is still being sent), or says why not.
   */
  public synchronized Refusal tryAcquire(String taskId, long start, String peerId) {
    return tryAcquire(taskId, start, peerId, false);
  }

  /** The same; {@code wholeTask}: this daemon holds the whole task, so the resend grace applies. */
  public synchronized Refusal tryAcquire(String taskId, long start, String peerId,
      boolean wholeTask) {
    if (total >= maxTotal) {
      return Refusal.HOST_FULL;
    }
    if (wholeTask && !peerId.isEmpty() && sentJustNow(taskId, start, peerId)) {
      return Refusal.PIECE_BUSY;
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

  private boolean sentJustNow(String taskId, long start, String peerId) {
    Map<Long, Sent> sent = recentlySent.get(taskId);
    Sent last = sent == null ? null : sent.get(start);
    return last != null && !expired(last, clock.getAsLong()) && !last.peerId().equals(peerId);
  }

  private static boolean expired(Sent sent, long now) {
    return sent.untilNanos() - now <= 0;
  }

  public synchronized void release(String taskId, long start, String peerId) {
    release(taskId, start, peerId, -1);
  }

  /**
   * The upload ended; {@code tookNanos} >= 0: it sent the whole range of a task held whole, in
   * that long (the resend grace starts).
   */
  public synchronized void release(String taskId, long start, String peerId, long tookNanos) {
    if (tookNanos >= 0 && !peerId.isEmpty()) {
      long grace = Math.max(MIN_RESEND_GRACE_NANOS, Math.min(MAX_RESEND_GRACE_NANOS, tookNanos));
      long now = clock.getAsLong();
      if (recentlySent.size() > 256) { // tasks nobody asks for again keep no entries for long
        recentlySent.values().forEach(m -> m.values().removeIf(x -> expired(x, now)));
        recentlySent.values().removeIf(Map::isEmpty);
      }
      // expired entries go here, once per upload, not on each request
      Map<Long, Sent> sent = recentlySent.computeIfAbsent(taskId, k -> new HashMap<>());
      sent.values().removeIf(x -> expired(x, now));
      sent.put(start, new Sent(peerId, now + grace));
    }
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
