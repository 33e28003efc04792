package dev.dfcache.transfer;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A limit is a lower bound on time: these assert only that bytes never pass early (a delayed
 * executor cannot fire before its delay), never how fast anything runs.
 */
class TokenBucketTest {
  static final double RATE = 4 * 1024 * 1024; // bytes per second
  static final int CHUNK = 256 * 1024;

  @Test
  void anEmptyBucketNeverLetsBytesPassBeforeTheirShareOfTime() throws Exception {
    TokenBucket bucket = TokenBucket.startingEmpty(RATE, CHUNK);
    long t0 = System.nanoTime();
    CompletableFuture<Void> last = null;
    for (int i = 0; i < 8; i++) { // 2 MiB at 4 MiB/s: not before 0.5 s
      last = bucket.acquire(CHUNK).toCompletableFuture();
    }
    last.get(10, TimeUnit.SECONDS);
    double seconds = (System.nanoTime() - t0) / 1e9;
    assertTrue(seconds >= 8 * CHUNK / RATE * 0.99, "2 MiB passed in " + seconds + " s");
  }

  @Test
  void aFullBucketLetsItsBurstPassAtOnceAndThenWaits() throws Exception {
    TokenBucket bucket = new TokenBucket(RATE, CHUNK);
    assertTrue(bucket.acquire(CHUNK).toCompletableFuture().isDone(), "the burst is there");
    long t0 = System.nanoTime();
    bucket.acquire(CHUNK).toCompletableFuture().get(10, TimeUnit.SECONDS);
    double seconds = (System.nanoTime() - t0) / 1e9;
    assertTrue(seconds >= CHUNK / RATE * 0.99, "the next chunk waited only " + seconds + " s");
  }

  @Test
  void aRateMustBePositive() {
    assertThrows(IllegalArgumentException.class, () -> new TokenBucket(0, CHUNK));
    assertThrows(IllegalArgumentException.class, () -> TokenBucket.startingEmpty(Double.NaN, 1));
    assertTrue(TokenBucket.forLimit(0) == null, "0 = no limit");
  }
}
