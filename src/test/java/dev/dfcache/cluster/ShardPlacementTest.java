package dev.dfcache.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ShardPlacementTest {
  static final int SHARDS = 128;
  static final int VNODES = ConsistentHashingAllocationStrategy.DEFAULT_VIRTUAL_NODES;

  /** Nodes keyed as sharding keys them, on random ports as a real fleet would have. */
  static Map<String, String> nodes(Random random, int n) {
    Map<String, String> m = new LinkedHashMap<>();
    while (m.size() < n) {
      String key = "pekko://dfcache-scheduler@127.0.0.1:" + (20000 + random.nextInt(40000));
      m.put(key, key);
    }
    return m;
  }

  static Map<String, Integer> loads(Map<String, String> placement) {
    Map<String, Integer> load = new HashMap<>();
    placement.values().forEach(n -> load.merge(n, 1, Integer::sum));
    return load;
  }

  @Test
  void noNodeHoldsMoreThanItsShareAndTheSlack() {
    Random random = new Random(7);
    for (int n = 2; n <= 8; n++) {
      for (int trial = 0; trial < 10; trial++) {
        Map<String, String> placement = ShardPlacement.place(nodes(random, n), SHARDS, VNODES);
        assertEquals(SHARDS, placement.size());
        for (int load : loads(placement).values()) {
          assertTrue(load <= ShardPlacement.capacity(SHARDS, n),
              load + " shards on one of " + n + " nodes");
        }
      }
    }
    // what a plain ring gives for comparison: 38% on the fullest of 3 nodes on average
    assertEquals(47, ShardPlacement.capacity(SHARDS, 3), "37% at most");
  }

  @Test
  void theSameNodesGiveTheSamePlacementInAnyOrder() {
    Map<String, String> a = nodes(new Random(3), 4);
    java.util.List<String> keys = new java.util.ArrayList<>(a.keySet());
    java.util.Collections.reverse(keys);
    Map<String, String> reversed = new LinkedHashMap<>();
    keys.forEach(k -> reversed.put(k, k));
    assertEquals(ShardPlacement.place(a, SHARDS, VNODES),
        ShardPlacement.place(reversed, SHARDS, VNODES));
  }

  @Test
  void aJoiningNodeMovesAboutOneNthAndFewOthers() {
    Random random = new Random(11);
    int moved = 0;
    int betweenOldNodes = 0;
    int trials = 20;
    for (int trial = 0; trial < trials; trial++) {
      Map<String, String> four = nodes(random, 4);
      Map<String, String> three = new LinkedHashMap<>(four);
      String newcomer = four.keySet().stream().reduce((x, y) -> y).orElseThrow();
      three.remove(newcomer);
      Map<String, String> before = ShardPlacement.place(three, SHARDS, VNODES);
      Map<String, String> after = ShardPlacement.place(four, SHARDS, VNODES);
      for (String shard : before.keySet()) {
        if (!before.get(shard).equals(after.get(shard))) {
          moved++;
          betweenOldNodes += after.get(shard).equals(newcomer) ? 0 : 1;
        }
      }
    }
    double share = moved / (double) (trials * SHARDS);
    assertTrue(share > 0.25 * 0.8 && share < 0.25 * 1.25, "moved " + share);
    assertTrue(betweenOldNodes / (double) trials <= 4,
        betweenOldNodes / (double) trials + " moves between old nodes per join");
  }
}
