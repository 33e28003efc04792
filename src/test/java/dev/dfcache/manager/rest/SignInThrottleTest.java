package dev.dfcache.manager.rest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** {@link SignInThrottle} on a fake clock: free attempts, growing delays, reset, expiry, bound. */
class SignInThrottleTest {
  private final AtomicLong now = new AtomicLong(1_000_000);

  private SignInThrottle throttle(int maxEntries) {
    return new SignInThrottle(now::get, 5, 20, Duration.ofSeconds(1), Duration.ofSeconds(60),
        Duration.ofHours(1), maxEntries);
  }

  private static void allowed(Optional<SignInThrottle.Refusal> r) {
    assertTrue(r.isEmpty(), () -> "refused: " + r);
  }

  private static long refused(Optional<SignInThrottle.Refusal> r) {
    assertTrue(r.isPresent(), "should be refused");
    return r.get().retryAfterSeconds();
  }

  @Test
  void fiveFailuresAreFreeThenTheDelayDoublesUpToTheCap() {
    SignInThrottle t = throttle(100);
    for (int i = 0; i < 5; i++) {
      allowed(t.tryAttempt("root", "10.0.0.1"));
    }
    assertEquals(1, refused(t.tryAttempt("root", "10.0.0.1")));
    // a refused attempt does not count: the delay does not grow while waiting
    assertEquals(1, refused(t.tryAttempt("root", "10.0.0.1")));
    long[] expected = {2, 4, 8, 16, 32, 60, 60};
    for (long wait : expected) {
      now.addAndGet(1000 * refused(t.tryAttempt("root", "10.0.0.1")));
      allowed(t.tryAttempt("root", "10.0.0.1"));
      assertEquals(wait, refused(t.tryAttempt("root", "10.0.0.1")));
    }
  }

  @Test
  void theDelayIsPerUserAndPerAddress() {
    SignInThrottle t = throttle(100);
    for (int i = 0; i < 5; i++) {
      allowed(t.tryAttempt("root", "10.0.0.1"));
    }
    refused(t.tryAttempt("root", "10.0.0.2")); // the user, from anywhere
    allowed(t.tryAttempt("alice", "10.0.0.1")); // another user from the same address
    // one address guessing at many users: 20 free, then refused whoever it names
    for (int i = 0; i < 14; i++) {
      allowed(t.tryAttempt("user" + i, "10.0.0.9"));
    }
    for (int i = 0; i < 6; i++) {
      allowed(t.tryAttempt("other" + i, "10.0.0.9"));
    }
    SignInThrottle.Refusal r = t.tryAttempt("fresh", "10.0.0.9").orElseThrow();
    assertEquals(1, r.retryAfterSeconds());
    assertTrue(r.reason().contains("10.0.0.9"), r.reason());
    allowed(t.tryAttempt("fresh", "10.0.0.10"));
    allowed(t.tryAttempt("fresh", "")); // no address known: the user's count only
  }

  @Test
  void aSuccessResetsTheUserButNotTheAddress() {
    SignInThrottle t = throttle(100);
    for (int i = 0; i < 4; i++) {
      allowed(t.tryAttempt("root", "10.0.0.1"));
    }
    allowed(t.tryAttempt("root", "10.0.0.1"));
    t.succeeded("root", "10.0.0.1");
    for (int i = 0; i < 5; i++) {
      allowed(t.tryAttempt("root", "10.0.0.1"));
    }
    refused(t.tryAttempt("root", "10.0.0.1"));
    // the address counted 9 failures (10 attempts, one of them right), so 11 more are free
    for (int i = 0; i < 11; i++) {
      allowed(t.tryAttempt("u" + i, "10.0.0.1"));
    }
    refused(t.tryAttempt("another", "10.0.0.1"));
  }

  @Test
  void entriesAreForgottenAfterAQuietHourAndNeverExceedTheBound() {
    SignInThrottle t = throttle(10);
    for (int i = 0; i < 5; i++) {
      allowed(t.tryAttempt("root", "10.0.0.1"));
    }
    refused(t.tryAttempt("root", "10.0.0.1"));
    now.addAndGet(Duration.ofHours(1).toMillis());
    for (int i = 0; i < 5; i++) {
      allowed(t.tryAttempt("root", "10.0.0.1"));
    }
    for (int i = 0; i < 1000; i++) {
      t.tryAttempt("spray" + i, "10.1." + (i / 250) + "." + (i % 250));
    }
    assertTrue(t.size() <= 20, "entries held: " + t.size());
  }
}
