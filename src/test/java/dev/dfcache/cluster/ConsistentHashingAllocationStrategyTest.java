package dev.dfcache.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import scala.collection.immutable.IndexedSeq;
import scala.concurrent.Await;
import scala.concurrent.duration.Duration;
import scala.jdk.javaapi.CollectionConverters;

/** The strategy as the shard coordinator drives it: allocate, then rebalance on change. */
class ConsistentHashingAllocationStrategyTest {
  static final int SHARDS = 300;
  static ActorTestKit kit;
  static final Map<ActorRef, String> keys = new HashMap<>();

  @BeforeAll
  static void start() {
    kit = ActorTestKit.create();
  }

  @AfterAll
  static void stop() {
    kit.shutdownTestKit();
  }

  static ActorRef region(String address) {
    ActorRef ref = Adapter.toClassic(kit.createTestProbe().ref());
    keys.put(ref, address);
    return ref;
  }

  static ConsistentHashingAllocationStrategy strategy() {
    return new ConsistentHashingAllocationStrategy(160, SHARDS, keys::get);
  }

  static IndexedSeq<String> seq(List<String> shards) {
    return CollectionConverters.asScala(shards).toIndexedSeq();
  }

  /** Allocates every shard as the coordinator would, one at a time. */
  static Map<ActorRef, List<String>> allocateAll(ConsistentHashingAllocationStrategy s,
      List<ActorRef> regions) throws Exception {
    Map<ActorRef, List<String>> alloc = new HashMap<>();
    regions.forEach(r -> alloc.put(r, new ArrayList<>()));
    for (int i = 0; i < SHARDS; i++) {
      ActorRef owner = Await.result(
          s.allocateShard(regions.get(0), Integer.toString(i), view(alloc)),
          Duration.create(1, TimeUnit.SECONDS));
      alloc.get(owner).add(Integer.toString(i));
    }
    return alloc;
  }

  static Map<ActorRef, IndexedSeq<String>> view(Map<ActorRef, List<String>> alloc) {
    Map<ActorRef, IndexedSeq<String>> v = new HashMap<>();
    alloc.forEach((r, shards) -> v.put(r, seq(shards)));
    return v;
  }

  @Test
  void spreadsShardsEvenlyOverThreeNodes() throws Exception {
    List<ActorRef> regions = List.of(region("a:1"), region("b:2"), region("c:3"));
    Map<ActorRef, List<String>> alloc = allocateAll(strategy(), regions);
    for (List<String> shards : alloc.values()) {
      assertTrue(shards.size() > SHARDS * 0.25 && shards.size() <= SHARDS / 3.0 * 1.1 + 1,
          "uneven: " + shards.size() + " of " + SHARDS);
    }
  }

  @Test
  void aJoiningNodeTakesAboutOneQuarterFromTheOthersAndNothingElseMoves() throws Exception {
    List<ActorRef> three = List.of(region("a:1"), region("b:2"), region("c:3"));
    ConsistentHashingAllocationStrategy s = strategy();
    Map<ActorRef, List<String>> alloc = allocateAll(s, three);
    ActorRef newcomer = region("d:4");
    alloc.put(newcomer, new ArrayList<>());
    assertEquals(Set.of(), s.shardsToMove(view(alloc), Set.of()),
        "nothing moves in the round the regions changed");
    Set<String> move = s.shardsToMove(view(alloc), Set.of());
    double share = move.size() / (double) SHARDS;
    assertTrue(share > 0.25 * 0.6 && share < 0.25 * 1.4, "moved " + share);
    // Almost every moved shard goes to the newcomer; the load bound may shift a few more.
    int toNewcomer = 0;
    for (String shard : move) {
      ActorRef owner = Await.result(s.allocateShard(newcomer, shard, view(alloc)),
          Duration.create(1, TimeUnit.SECONDS));
      toNewcomer += owner.equals(newcomer) ? 1 : 0;
    }
    assertTrue(move.size() - toNewcomer <= SHARDS * 0.05,
        (move.size() - toNewcomer) + " of " + move.size() + " moves were between old nodes");
    assertEquals(Set.of(), s.shardsToMove(view(alloc), Set.of("1")),
        "no new rebalance while one is in progress");
  }

  @Test
  void aLeavingNodesShardsGoToTheOthersAndTheRestStay() throws Exception {
    List<ActorRef> four = List.of(region("a:1"), region("b:2"), region("c:3"), region("d:4"));
    ConsistentHashingAllocationStrategy s = strategy();
    Map<ActorRef, List<String>> alloc = allocateAll(s, four);
    List<String> orphans = alloc.remove(four.get(3));
    // The coordinator re-allocates a dead region's shards one by one.
    Set<String> reallocated = new HashSet<>();
    for (String shard : orphans) {
      ActorRef owner = Await.result(s.allocateShard(four.get(0), shard, view(alloc)),
          Duration.create(1, TimeUnit.SECONDS));
      alloc.get(owner).add(shard);
      reallocated.add(shard);
    }
    s.shardsToMove(view(alloc), Set.of());
    Set<String> shifted = s.shardsToMove(view(alloc), Set.of());
    assertTrue(shifted.size() <= SHARDS * 0.05,
        "survivors' shards mostly stay where they are; " + shifted.size() + " moved");
    assertEquals(new HashSet<>(orphans), reallocated);
    // after those moves the placement is settled: nothing more to move
    apply(s, alloc, shifted);
    assertEquals(Set.of(), s.shardsToMove(view(alloc), Set.of()));
  }

  /** Moves the shards as the coordinator does: stop where they are, allocate anew. */
  static void apply(ConsistentHashingAllocationStrategy s, Map<ActorRef, List<String>> alloc,
      Set<String> move) throws Exception {
    alloc.values().forEach(list -> list.removeAll(move));
    for (String shard : move) {
      ActorRef owner = Await.result(s.allocateShard(alloc.keySet().iterator().next(), shard,
          view(alloc)), Duration.create(1, TimeUnit.SECONDS));
      alloc.get(owner).add(shard);
    }
  }
}
