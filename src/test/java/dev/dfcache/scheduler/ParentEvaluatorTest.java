package dev.dfcache.scheduler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dfcache.scheduler.ParentEvaluator.Candidate;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ParentEvaluatorTest {

  static Candidate downloader(String id, int useful, int free) {
    return new Candidate(id, false, useful, free, 50, false, false, -1, 0);
  }

  static Candidate seed(String id, int free) {
    return new Candidate(id, true, 100, free, 50, false, false, -1, 0);
  }

  static List<String> ids(List<Candidate> cs) {
    return cs.stream().map(Candidate::peerId).toList();
  }

  @Test
  void prefersMorePiecesTheChildLacks() {
    List<Candidate> chosen = ParentEvaluator.choose("child", 100,
        List.of(downloader("few", 5, 50), downloader("many", 80, 50), downloader("some", 40, 50)),
        3);
    assertEquals(List.of("many", "some", "few"), ids(chosen));
  }

  @Test
  void prefersFreeUploadSlots() {
    List<Candidate> chosen = ParentEvaluator.choose("child", 100,
        List.of(downloader("busy", 50, 2), downloader("idle", 50, 50)), 2);
    assertEquals(List.of("idle", "busy"), ids(chosen));
  }

  @Test
  void excludesTheChildFullHostsAndPeersWithNothingUseful() {
    List<Candidate> chosen = ParentEvaluator.choose("child", 100,
        List.of(downloader("child", 50, 50), downloader("full", 50, 0),
            downloader("empty", 0, 50), downloader("ok", 1, 50)), 8);
    assertEquals(List.of("ok"), ids(chosen));
  }

  @Test
  void whenEveryHolderIsFullTheyAreOfferedAnyway() {
    List<Candidate> chosen = ParentEvaluator.choose("child", 100,
        List.of(seed("busy-seed", 0), downloader("overloaded", 50, -3), downloader("empty", 0, 0)),
        8);
    assertEquals(List.of("busy-seed", "overloaded"), ids(chosen));
  }

  @Test
  void failuresAndSlowPiecesRankLower() {
    Candidate failing = new Candidate("failing", false, 50, 50, 50, false, false, -1, 3);
    Candidate slow = new Candidate("slow", false, 50, 50, 50, false, false, 4000, 0);
    Candidate fast = new Candidate("fast", false, 50, 50, 50, false, false, 400, 0);
    assertEquals(List.of("fast", "slow", "failing"),
        ids(ParentEvaluator.choose("child", 100, List.of(failing, slow, fast), 3)));
  }

  @Test
  void sameIdcAndLocationRankHigher() {
    Candidate far = new Candidate("far", false, 50, 50, 50, false, false, -1, 0);
    Candidate region = new Candidate("region", false, 50, 50, 50, false, true, -1, 0);
    Candidate near = new Candidate("near", false, 50, 50, 50, true, true, -1, 0);
    assertEquals(List.of("near", "region", "far"),
        ids(ParentEvaluator.choose("child", 100, List.of(far, region, near), 3)));
  }

  @Test
  void alwaysKeepsOneCompleteHolderForThePieceList() {
    List<Candidate> cs = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      cs.add(downloader("d" + i, 100, 50));
    }
    cs.add(seed("seed", 1)); // nearly full: ranks last
    List<Candidate> chosen = ParentEvaluator.choose("child", 100, cs, 4);
    assertEquals(4, chosen.size());
    assertTrue(ids(chosen).contains("seed"), ids(chosen).toString());
  }

  @Test
  void atMostMaxAndNoneWhenMaxIsZero() {
    List<Candidate> cs = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      cs.add(downloader("d" + i, 10 + i, 50));
    }
    assertEquals(5, ParentEvaluator.choose("child", 100, cs, 5).size());
    assertEquals(0, ParentEvaluator.choose("child", 100, cs, 0).size());
  }

  /** Equal candidates: each child gets its own (stable) order, so children spread over them. */
  @Test
  void equalCandidatesAreSpreadOverChildrenDeterministically() {
    List<Candidate> cs = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      cs.add(downloader("p" + i, 50, 50));
    }
    Set<String> firstChoices = new HashSet<>();
    for (int child = 0; child < 16; child++) {
      List<Candidate> shuffled = new ArrayList<>(cs);
      Collections.shuffle(shuffled, new Random(child));
      List<String> a = ids(ParentEvaluator.choose("c" + child, 100, shuffled, 1));
      List<String> b = ids(ParentEvaluator.choose("c" + child, 100, cs, 1));
      assertEquals(a, b, "the input order does not matter");
      firstChoices.add(a.get(0));
    }
    assertTrue(firstChoices.size() >= 4, "children's first parents: " + firstChoices);
  }

  /** The old comparator drew random numbers; a sort of many candidates must never throw. */
  @Test
  void sortsLargeCandidateSetsWithoutComparatorViolations() {
    Random r = new Random(42);
    for (int round = 0; round < 200; round++) {
      List<Candidate> cs = new ArrayList<>();
      for (int i = 0; i < 64; i++) {
        cs.add(new Candidate("p" + i, r.nextBoolean(), r.nextInt(3), 1 + r.nextInt(2), 50,
            false, false, r.nextBoolean() ? -1 : 100, r.nextInt(2)));
      }
      List<Candidate> chosen = ParentEvaluator.choose("child", 100, cs, 16);
      assertFalse(chosen.isEmpty());
    }
  }
}
