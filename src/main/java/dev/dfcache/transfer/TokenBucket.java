package dev.dfcache.transfer;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.ToLongFunction;
import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.javadsl.Flow;

/**
 * A rate limit shared by many streams (all uploads of a daemon, all its downloads): each caller
 * reserves its bytes and is told when it may go on. Reservations may drive the balance below zero;
 * the caller then waits until the bucket has refilled past its reservation, so the long-run rate
 * is exactly the limit, whatever the mix of request sizes.
 */
public final class TokenBucket {
  private static final CompletableFuture<Void> NOW = CompletableFuture.completedFuture(null);
  /**
   * Bytes per nanosecond; 0 = no limit (an adjustable bucket whose limit was lifted). Written
   * under the lock; volatile so that {@link #unlimited}, asked per piece, takes no lock.
   */
  private volatile double bytesPerNano;
  private double burst;
  private double tokens;
  private long lastNanos;

  /** A full bucket. @param bytesPerSecond must be positive */
  public TokenBucket(double bytesPerSecond, double burstBytes) {
    this(bytesPerSecond, burstBytes, true);
  }

  private TokenBucket(double bytesPerSecond, double burstBytes, boolean full) {
    if (!(bytesPerSecond > 0)) {
      throw new IllegalArgumentException("rate must be positive");
    }
    this.bytesPerNano = bytesPerSecond / 1e9;
    this.burst = Math.max(1, burstBytes);
    this.tokens = full ? this.burst : 0;
    this.lastNanos = System.nanoTime();
  }

  /**
   * An empty bucket: the first bytes wait their share too, so n bytes never pass in less than
   * n / rate. For one transfer whose total time must honour its limit.
   */
  public static TokenBucket startingEmpty(double bytesPerSecond, double burstBytes) {
    return new TokenBucket(bytesPerSecond, burstBytes, false);
  }

  /**
   * A daemon-wide limit that the manager may change while it runs: {@code bytesPerSecond} <= 0
   * means none for now ({@link #unlimited}).
   */
  public static TokenBucket adjustable(long bytesPerSecond) {
    TokenBucket b = new TokenBucket(1, 1, true);
    b.setRate(bytesPerSecond);
    return b;
  }

  /** Changes the rate from now on (<= 0: no limit); the burst follows, as in forLimit. */
  public synchronized void setRate(long bytesPerSecond) {
    if (bytesPerSecond <= 0) {
      bytesPerNano = 0;
      return;
    }
    bytesPerNano = bytesPerSecond / 1e9;
    burst = Math.max(256 * 1024, bytesPerSecond / 20.0);
    tokens = Math.min(tokens, burst);
    lastNanos = System.nanoTime();
  }

  /** Whether the limit is lifted: callers may skip pacing altogether. */
  public boolean unlimited() {
    return bytesPerNano == 0;
  }

  /** The rate now, bytes per second (0 = no limit). */
  public long rate() {
    return Math.round(bytesPerNano * 1e9);
  }

  /** Completes when {@code bytes} may be sent or received. */
  public CompletionStage<Void> acquire(long bytes) {
    long waitNanos;
    synchronized (this) {
      if (bytesPerNano == 0) {
        return NOW;
      }
      long now = System.nanoTime();
      tokens = Math.min(burst, tokens + (now - lastNanos) * bytesPerNano);
      lastNanos = now;
      tokens -= bytes;
      waitNanos = tokens >= 0 ? 0 : (long) (-tokens / bytesPerNano);
    }
    if (waitNanos == 0) {
      return CompletableFuture.completedFuture(null);
    }
    return CompletableFuture.runAsync(() -> {},
        CompletableFuture.delayedExecutor(waitNanos, TimeUnit.NANOSECONDS));
  }

  /** A stream stage that lets each element through once its {@code bytesOf} bytes may go. */
  public <T> Flow<T, T, NotUsed> pace(ToLongFunction<T> bytesOf) {
    return Flow.<T>create().mapAsync(1, e -> acquire(bytesOf.applyAsLong(e)).thenApply(v -> e));
  }

  /** A bucket for a limit in bytes/s, or null when the limit is 0 (none). */
  public static TokenBucket forLimit(long bytesPerSecond) {
    return bytesPerSecond <= 0 ? null
        : new TokenBucket(bytesPerSecond, Math.max(256 * 1024, bytesPerSecond / 20.0));
  }
}
