package dev.dfcache.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class EvictionOrderTest {

  @Test
  void leastRecentlyUsedFirst() {
    assertEquals("old", EvictionOrder.next(List.of("new", "old", "mid"),
        Map.of("new", 30L, "old", 10L, "mid", 20L), id -> false));
  }

  @Test
  void replicasGoLastWhateverTheirAge() {
    Set<String> replicas = Set.of("ancient-replica", "old-replica");
    assertEquals("new", EvictionOrder.next(List.of("ancient-replica", "new", "old-replica"),
        Map.of("ancient-replica", 1L, "new", 50L, "old-replica", 5L), replicas::contains));
    assertEquals("ancient-replica", EvictionOrder.next(List.of("ancient-replica", "old-replica"),
        Map.of("ancient-replica", 1L, "old-replica", 5L), replicas::contains));
  }

  @Test
  void neverUsedCountsAsOldestAndTiesAreBrokenByIdSoTheOrderIsStable() {
    assertEquals("a", EvictionOrder.next(List.of("b", "a"), Map.of(), id -> false));
    assertNull(EvictionOrder.next(List.of(), Map.of(), id -> false));
  }
}
