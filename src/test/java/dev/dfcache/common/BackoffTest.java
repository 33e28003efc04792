package dev.dfcache.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class BackoffTest {

  static List<Long> seconds(Backoff b, int n) {
    List<Long> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(b.failed().toSeconds());
    }
    return out;
  }

  @Test
  void delaysDoubleFromTheFirstUpToTheCap() {
    Backoff b = new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(30));
    assertEquals(List.of(1L, 2L, 4L, 8L, 16L, 30L, 30L), seconds(b, 7));
    assertEquals(7, b.failures());
  }

  @Test
  void aSuccessStartsOver() {
    Backoff b = new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(30));
    seconds(b, 4);
    b.succeeded();
    assertEquals(0, b.failures());
    assertEquals(List.of(1L, 2L), seconds(b, 2));
  }

  @Test
  void manyFailuresStayAtTheCapWithoutOverflow() {
    Backoff b = new Backoff(Duration.ofMillis(500), Duration.ofMinutes(5));
    for (int i = 0; i < 1000; i++) {
      b.failed();
    }
    assertEquals(Duration.ofMinutes(5), b.failed());
    assertEquals(Duration.ofMinutes(5), b.delayAfter(Integer.MAX_VALUE));
    assertEquals(Duration.ZERO, b.delayAfter(0));
  }

  @Test
  void aCapEqualToTheFirstDelayIsAFixedDelay() {
    Backoff b = new Backoff(Duration.ofSeconds(3), Duration.ofSeconds(3));
    assertEquals(List.of(3L, 3L, 3L), seconds(b, 3));
  }

  @Test
  void senselessSettingsAreRefused() {
    assertThrows(IllegalArgumentException.class,
        () -> new Backoff(Duration.ZERO, Duration.ofSeconds(1)));
    assertThrows(IllegalArgumentException.class,
        () -> new Backoff(Duration.ofSeconds(-1), Duration.ofSeconds(1)));
    assertThrows(IllegalArgumentException.class,
        () -> new Backoff(Duration.ofSeconds(2), Duration.ofSeconds(1)));
  }
}
