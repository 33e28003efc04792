package dev.dfcache.daemon;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * The bytes of pieces this daemon holds in memory at once (received, not yet verified and
 * written), shared by all its downloads: N exports at once hold at most max-inflight-bytes
 * together, not N times it. A piece larger than the whole budget still goes when nothing else is
 * in flight, so no download can starve for good.
 */
final class InflightBudget {
  private final long maxBytes;
  private long used;
  private final ArrayDeque<Runnable> waiting = new ArrayDeque<>();

  InflightBudget(long maxBytes) {
    this.maxBytes = Math.max(1, maxBytes);
  }

  /**
   * Takes {@code bytes} if they fit. If not, {@code whenFreed} runs (once, on the releasing
   * thread) after some bytes were released, so the caller can try again.
   */
  synchronized boolean tryAcquire(long bytes, Runnable whenFreed) {
    if (used == 0 || used + bytes <= maxBytes) {
      used += bytes;
      return true;
    }
    if (!waiting.contains(whenFreed)) {
      waiting.add(whenFreed);
    }
    return false;
  }

  void release(long bytes) {
    List<Runnable> wake;
    synchronized (this) {
      used = Math.max(0, used - bytes);
      wake = new ArrayList<>(waiting);
      waiting.clear();
    }
    wake.forEach(Runnable::run);
  }

  synchronized long used() {
    return used;
  }
}
