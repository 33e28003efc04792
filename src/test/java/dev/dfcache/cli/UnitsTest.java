package dev.dfcache.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class UnitsTest {
  @Test
  void durations() {
    assertEquals(Duration.ofSeconds(10), Units.parseDuration("10s"));
    assertEquals(Duration.ofMinutes(2), Units.parseDuration("2m"));
    assertEquals(Duration.ofMillis(500), Units.parseDuration("500ms"));
    assertEquals(Duration.ofDays(7), Units.parseDuration("7d"));
    assertEquals("45s", Units.formatAge(Duration.ofSeconds(45)));
    assertEquals("12m", Units.formatAge(Duration.ofMinutes(12)));
    assertEquals("5h", Units.formatAge(Duration.ofHours(5)));
    assertEquals("3d", Units.formatAge(Duration.ofDays(3)));
    assertEquals(Duration.ZERO, Units.parseDuration("0"));
    assertThrows(IllegalArgumentException.class, () -> Units.parseDuration("-1s"));
    assertThrows(IllegalArgumentException.class, () -> Units.parseDuration("soon"));
  }

  @Test
  void sizes() {
    assertEquals(100L << 20, Units.parseBytes("100MiB"));
    assertEquals(1L << 30, Units.parseBytes("1G"));
    assertEquals(4096, Units.parseBytes("4096"));
    assertThrows(IllegalArgumentException.class, () -> Units.parseBytes("-5"));
  }
}
