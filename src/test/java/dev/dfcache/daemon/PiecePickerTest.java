package dev.dfcache.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dfcache.daemon.PiecePicker.Assignment;
import java.util.BitSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class PiecePickerTest {

  static BitSet bits(int... pieces) {
    BitSet b = new BitSet();
    for (int p : pieces) {
      b.set(p);
    }
    return b;
  }

  static PiecePicker picker(int pieces, int perParent, long seed) {
    return new PiecePicker(pieces, perParent, 0, new Random(seed));
  }

  @Test
  void rarestFirst() {
    for (long seed = 0; seed < 20; seed++) {
      PiecePicker p = picker(4, 8, seed);
      p.parentHasAll("seed");
      p.parentHas("a", bits(0, 1));
      p.parentHas("b", bits(0, 1));
      Assignment first = p.next();
      Assignment second = p.next();
      assertEquals(Set.of(2, 3), Set.of(first.piece(), second.piece()),
          "pieces only the seed holds come first");
      assertEquals("seed", first.parent());
      assertEquals("seed", second.parent());
    }
  }

  @Test
  void rarestTiesAreBrokenAtRandom() {
    Set<Integer> firsts = new HashSet<>();
    for (long seed = 0; seed < 40; seed++) {
      PiecePicker p = picker(64, 3, seed);
      p.parentHasAll("seed");
      firsts.add(p.next().piece());
    }
    assertTrue(firsts.size() > 20, "downloaders start on different pieces: " + firsts);
  }

  @Test
  void neverMoreThanTheLimitInFlightPerParent() {
    PiecePicker p = picker(32, 3, 1);
    p.parentHasAll("a");
    p.parentHasAll("b");
    Map<String, Integer> load = new HashMap<>();
    Assignment a;
    while ((a = p.next()) != null) {
      load.merge(a.parent(), 1, Integer::sum);
    }
    assertEquals(Map.of("a", 3, "b", 3), load, "spread evenly, none overloaded");
    assertEquals(3, p.inflightTo("a"));
  }

  @Test
  void aFreedSlotTakesTheNextPiece() {
    PiecePicker p = picker(8, 1, 2);
    p.parentHasAll("a");
    Assignment first = p.next();
    assertNull(p.next(), "a is at its limit");
    assertEquals(List.of(), p.succeeded(first.piece(), "a"));
    Assignment second = p.next();
    assertNotEquals(first.piece(), second.piece());
  }

  @Test
  void piecesNoParentHoldsAreNeverAsked() {
    PiecePicker p = picker(4, 8, 3);
    p.parentHas("a", bits(1));
    assertEquals(new Assignment(1, "a"), p.next());
    assertNull(p.next());
    assertTrue(p.anyParentHoldsMissing(), "piece 1 is still in flight, not held");
    p.succeeded(1, "a");
    assertFalse(p.anyParentHoldsMissing());
  }

  @Test
  void endgameAsksASecondParentAndNamesTheLoser() {
    PiecePicker p = picker(2, 1, 4);
    p.parentHasAll("a");
    p.parentHasAll("b");
    Assignment x = p.next();
    Assignment y = p.next();
    assertNotEquals(x.parent(), y.parent());
    assertEquals(List.of(), p.succeeded(x.piece(), x.parent()));
    // only y's piece is missing and it is in flight: the freed parent is asked for it too
    Assignment dup = p.next();
    assertEquals(new Assignment(y.piece(), x.parent()), dup);
    assertNull(p.next(), "at most two requests per piece, and both parents are busy");
    assertEquals(List.of(y.parent()), p.succeeded(y.piece(), x.parent()), "cancel the slow one");
    p.released(y.piece(), y.parent()); // the cancelled request settles: nothing changes
    assertTrue(p.complete());
    assertNull(p.next());
    assertEquals(0, p.inflightTo("a"));
    assertEquals(0, p.inflightTo("b"));
  }

  @Test
  void noEndgameWhileManyPiecesAreMissing() {
    PiecePicker p = picker(64, 8, 8);
    p.parentHasAll("a");
    p.parentHasAll("b");
    int asked = 0;
    while (p.next() != null) {
      asked++;
    }
    assertEquals(16, asked, "8 per parent, no duplicates");
    assertEquals(4, p.endgamePieces());
  }

  @Test
  void noEndgameWhileUnrequestedPiecesRemain() {
    PiecePicker p = picker(3, 1, 5);
    p.parentHas("a", bits(0, 1, 2));
    p.parentHas("b", bits(0));
    Assignment first = p.next();
    Assignment second = p.next();
    // one piece is still unrequested: no duplicate requests yet
    assertNull(p.next());
    assertEquals(2, Set.of(first.piece(), second.piece()).size());
  }

  @Test
  void failedRequestsAndRemovedParentsFreeTheirPieces() {
    PiecePicker p = picker(2, 2, 6);
    p.parentHasAll("a");
    Assignment x = p.next();
    Assignment y = p.next();
    p.released(x.piece(), "a");
    assertEquals(new Assignment(x.piece(), "a"), p.next(), "asked again");
    List<Integer> lost = p.removeParent("a");
    assertEquals(Set.of(x.piece(), y.piece()), Set.copyOf(lost));
    assertNull(p.next(), "no parent left");
    p.parentHasAll("b");
    assertEquals("b", p.next().parent());
  }

  @Test
  void randomFirstPicksAmongAllAssignablePieces() {
    Set<Integer> firsts = new HashSet<>();
    for (long seed = 0; seed < 40; seed++) {
      PiecePicker p = new PiecePicker(16, 3, 2, new Random(seed));
      p.parentHasAll("seed");
      p.parentHas("a", bits(0, 1, 2, 3, 4, 5, 6, 7)); // not the rarest, yet picked at first
      firsts.add(p.next().piece());
    }
    assertTrue(firsts.stream().anyMatch(n -> n < 8), firsts.toString());
    assertTrue(firsts.stream().anyMatch(n -> n >= 8), firsts.toString());
  }

  /** Simulated swarm step: many downloaders of one seed request mostly different pieces. */
  @Test
  void downloadersOfOneSeedAskItForDifferentPieces() {
    int pieces = 64;
    Map<Integer, Integer> asked = new HashMap<>();
    for (int d = 0; d < 6; d++) {
      PiecePicker p = new PiecePicker(pieces, 3, 1, new Random(100 + d));
      p.parentHasAll("seed");
      for (int i = 0; i < 3; i++) {
        asked.merge(p.next().piece(), 1, Integer::sum);
      }
    }
    long duplicates = asked.values().stream().filter(n -> n > 1).count();
    assertTrue(duplicates <= 3, "18 requests over 64 pieces, duplicated: " + asked);
  }

  @Test
  void aRefusingParentIsAskedForLessAndNotForThatPieceForAWhile() {
    long[] now = {0};
    PiecePicker p = new PiecePicker(8, 3, 0, new Random(7), () -> now[0]);
    p.parentHasAll("seed");
    Assignment a = p.next();
    Assignment b = p.next();
    p.refused(b.piece(), "seed");
    assertNull(p.next(), "limit down to the one request still in flight");
    now[0] += PiecePicker.REST_NANOS + 1; // done resting
    p.succeeded(a.piece(), "seed"); // limit 2 again, none in flight
    Assignment c = p.next();
    Assignment d = p.next();
    assertNull(p.next());
    assertFalse(c.piece() == b.piece() || d.piece() == b.piece(),
        "the refused piece waits while another peer gets it");
    now[0] += PiecePicker.REFUSAL_NANOS + 1;
    p.succeeded(c.piece(), "seed");
    p.succeeded(d.piece(), "seed");
    Set<Integer> next = new HashSet<>();
    Assignment e;
    while ((e = p.next()) != null) {
      next.add(e.piece());
    }
    assertEquals(3, next.size(), "back to 3 at once: " + next);
  }

  /** The seed's upload goes to pieces only it holds; pieces others hold come from them. */
  @Test
  void theSoleSourceOfSomePiecesIsSparedForThem() {
    PiecePicker p = picker(8, 3, 9);
    p.parentHasAll("seed");
    p.parentHas("a", bits(0, 1, 2, 3, 4, 5));
    Map<String, Set<Integer>> asked = new HashMap<>();
    Assignment x;
    while ((x = p.next()) != null) {
      asked.computeIfAbsent(x.parent(), k -> new HashSet<>()).add(x.piece());
    }
    assertEquals(Set.of(6, 7), asked.get("seed"), "only what a lacks comes from the seed");
    assertEquals(3, asked.get("a").size(), "the rest waits for a's free slots");
    assertTrue(Set.of(0, 1, 2, 3, 4, 5).containsAll(asked.get("a")));
    // once the seed holds nothing only it has, it is a parent like any other
    p.succeeded(6, "seed");
    p.succeeded(7, "seed");
    assertEquals("seed", p.next().parent());
  }

  /**
   * When every holder of a piece is the only source of something else, the piece is asked of the
   * one others depend on least, and waits for it rather than take the other's upload.
   */
  @Test
  void aSharedPieceGoesToTheHolderOthersDependOnLeast() {
    for (long seed = 0; seed < 20; seed++) {
      PiecePicker p = picker(8, 1, seed);
      p.parentHas("x", bits(0, 1, 2, 3, 4, 5)); // the only source of 0, 1, 2, 3, 5
      p.parentHas("y", bits(4, 6, 7)); // the only source of 6 and 7
      Map<String, Set<Integer>> asked = new HashMap<>();
      Assignment a;
      while ((a = p.next()) != null) {
        asked.computeIfAbsent(a.parent(), k -> new HashSet<>()).add(a.piece());
      }
      assertFalse(asked.get("x").contains(4), "x is not asked for the piece y holds too");
      p.succeeded(asked.get("y").iterator().next(), "y");
      Set<Integer> fromY = new HashSet<>();
      while ((a = p.next()) != null) {
        if (a.parent().equals("y")) {
          fromY.add(a.piece());
        }
      }
      assertFalse(fromY.isEmpty(), "y is asked again once it has room");
    }
  }

  @Test
  void aRefusingParentRestsAndThePieceGoesElsewhereAtOnce() {
    long[] now = {0};
    PiecePicker p = new PiecePicker(1, 3, 0, new Random(11), () -> now[0]);
    p.parentHasAll("a");
    p.parentHasAll("b");
    Assignment first = p.next();
    p.refused(first.piece(), first.parent());
    Assignment second = p.next();
    assertEquals(first.piece(), second.piece());
    assertNotEquals(first.parent(), second.parent(), "asked of the other parent at once");
    p.refused(second.piece(), second.parent());
    assertNull(p.next(), "both rest");
    now[0] += PiecePicker.REFUSAL_NANOS + 1;
    assertTrue(p.next() != null, "rested: asked again");
  }
}
