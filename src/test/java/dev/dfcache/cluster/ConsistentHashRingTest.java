package dev.dfcache.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ConsistentHashRingTest {
  static final int KEYS = 10_000;

  static ConsistentHashRing<String> ring(int nodes) {
    Map<String, String> m = new LinkedHashMap<>();
    for (int i = 1; i <= nodes; i++) {
      m.put("pekko://dfcache-scheduler@127.0.0.1:" + (17000 + i), "n" + i);
    }
    return new ConsistentHashRing<>(m, ConsistentHashingAllocationStrategy.DEFAULT_VIRTUAL_NODES);
  }

  static Map<String, Integer> counts(ConsistentHashRing<String> ring) {
    Map<String, Integer> c = new HashMap<>();
    for (int k = 0; k < KEYS; k++) {
      c.merge(ring.ownerOf(Integer.toString(k)), 1, Integer::sum);
    }
    return c;
  }

  @Test
  void spreadsEvenlyOverThreeNodes() {
    Map<String, Integer> c = counts(ring(3));
    assertEquals(3, c.size());
    for (int n : c.values()) {
      double share = n / (double) KEYS;
      assertTrue(share > 0.28 && share < 0.39, "share " + share + " of " + c);
    }
  }

  @Test
  void addingOneOfNMovesAboutOneNthAndOnlyToTheNewNode() {
    for (int n = 3; n <= 8; n++) {
      ConsistentHashRing<String> before = ring(n);
      ConsistentHashRing<String> after = ring(n + 1);
      int moved = 0;
      for (int k = 0; k < KEYS; k++) {
        String key = Integer.toString(k);
        if (!before.ownerOf(key).equals(after.ownerOf(key))) {
          moved++;
          assertEquals("n" + (n + 1), after.ownerOf(key), "a key moved between old nodes");
        }
      }
      double expected = 1.0 / (n + 1);
      double share = moved / (double) KEYS;
      assertTrue(Math.abs(share - expected) < expected * 0.35,
          "adding node " + (n + 1) + " moved " + share + ", expected about " + expected);
    }
  }

  @Test
  void removingOneOfNMovesOnlyItsKeys() {
    ConsistentHashRing<String> four = ring(4);
    ConsistentHashRing<String> three = ring(3);
    int moved = 0;
    for (int k = 0; k < KEYS; k++) {
      String key = Integer.toString(k);
      if (!four.ownerOf(key).equals(three.ownerOf(key))) {
        moved++;
        assertEquals("n4", four.ownerOf(key), "a key of a surviving node moved");
      }
    }
    double share = moved / (double) KEYS;
    assertTrue(share > 0.25 * 0.65 && share < 0.25 * 1.35, "moved " + share);
  }
}
