package dev.dfcache.common;

import java.time.Duration;

/**
 * How long to wait before trying again after a run of failures: the first delay, then twice the
 * last, up to a cap; a success starts over. No clock and no timer of its own: the caller asks
 * for the next delay and schedules it (a timer of an actor, an executor), so the policy is
 * tested with plain values.
 */
public final class Backoff {
  private final Duration first;
  private final Duration cap;
  private int failures;

  /**
   * @param first the delay after the first failure (more than zero)
   * @param cap the longest delay (at least {@code first})
   */
  public Backoff(Duration first, Duration cap) {
    if (first.isNegative() || first.isZero()) {
      throw new IllegalArgumentException("the first delay must be more than zero: " + first);
    }
    if (cap.compareTo(first) < 0) {
      throw new IllegalArgumentException("the cap " + cap + " is below the first delay " + first);
    }
    this.first = first;
    this.cap = cap;
  }

  /** One more failure: the delay before the next attempt. */
  public Duration failed() {
    return delayAfter(++failures);
  }

  /** The delay after {@code n} failures in a row (n >= 1), without recording one. */
  public Duration delayAfter(int n) {
    if (n < 1) {
      return Duration.ZERO;
    }
    // doubling past 2^30 times the first delay would overflow long before any cap matters
    int doublings = Math.min(n - 1, 30);
    Duration d = first.multipliedBy(1L << doublings);
    return d.compareTo(cap) > 0 ? cap : d;
  }

  /** A success: the next failure waits the first delay again. */
  public void succeeded() {
    failures = 0;
  }

  /** Failures in a row so far. */
  public int failures() {
    return failures;
  }
}
