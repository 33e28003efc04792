package dev.dfcache.scheduler;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Picks and orders the parents a downloading peer should use, from the peers of one task. A pure
 * function of what the task entity knows; no random numbers (the order of equal candidates comes
 * from a hash of the child and the candidate, so that different children see equal parents in
 * different orders, yet a sort never sees a comparator change its mind).
 *
 * <p>Eligible: holds at least one piece, has a free upload slot (unless no holder has one: then
 * all are offered, rather than none), is not the child, not blocked by it. Score (higher is better, weights sum to 1 before the failure penalty):
 * <ul>
 *   <li>0.40: pieces the candidate has that the child lacks, as a share of what the child lacks;
 *   <li>0.25: free upload slots as a share of the host's limit (a seed with many children ranks
 *       below an idle downloader that holds as much);
 *   <li>0.10: complete (1) or still downloading (0.5): a complete holder has everything and
 *       stays, a downloader is a smaller bet;
 *   <li>0.10 same IDC, 0.05 same location (when both sides set them);
 *   <li>0.10: recent piece cost, the fastest known candidate 1, unknown 0.5;
 * </ul>
 * then divided by 1 + recent failures. The chosen set always holds a complete holder when one is
 * eligible: a downloader checks the piece list against the recorded sign, and a complete holder
 * is the one that can give the whole list.
 */
public final class ParentEvaluator {

  /** One possible parent, as the task entity sees it for one child. */
  public record Candidate(
      String peerId,
      boolean done,
      /** pieces the candidate holds that the child does not */
      int usefulPieces,
      int freeUploadSlots,
      int uploadLimit,
      boolean sameIdc,
      boolean sameLocation,
      /** mean ms per piece recently served to this task's children, or negative if unknown */
      double pieceCostMs,
      int recentFailures) {}

  private record Scored(Candidate candidate, double score, int tieBreak) {}

  private ParentEvaluator() {}

  /**
   * The best {@code max} eligible candidates for the child, best first.
   *
   * @param childMissing how many pieces the child still lacks
   */
  public static List<Candidate> choose(String childId, int childMissing,
      List<Candidate> candidates, int max) {
    double bestCost = Double.MAX_VALUE;
    for (Candidate c : candidates) {
      if (c.pieceCostMs() > 0) {
        bestCost = Math.min(bestCost, c.pieceCostMs());
      }
    }
    List<Scored> scored = scoredCandidates(childId, childMissing, candidates, bestCost, true);
    if (scored.isEmpty()) {
      // Every holder is at its upload limit: offer them all the same (the child waits for a
      // slot, a 503 at a time) rather than no parent at all.
      scored = scoredCandidates(childId, childMissing, candidates, bestCost, false);
    }
    scored.sort(Comparator.comparingDouble(Scored::score).reversed()
        .thenComparingInt(Scored::tieBreak)
        .thenComparing(s -> s.candidate().peerId()));
    List<Candidate> chosen = new ArrayList<>(Math.min(max, scored.size()));
    for (Scored s : scored) {
      if (chosen.size() == max) {
        break;
      }
      chosen.add(s.candidate());
    }
    if (max > 0 && chosen.stream().noneMatch(Candidate::done)) {
      scored.stream().filter(s -> s.candidate().done()).findFirst().ifPresent(s -> {
        if (chosen.size() == max) {
          chosen.remove(chosen.size() - 1);
        }
        chosen.add(s.candidate());
      });
    }
    return chosen;
  }

  private static List<Scored> scoredCandidates(String childId, int childMissing,
      List<Candidate> candidates, double bestCost, boolean needFreeSlot) {
    List<Scored> scored = new ArrayList<>();
    for (Candidate c : candidates) {
      if (eligible(childId, c, needFreeSlot)) {
        scored.add(new Scored(c, score(c, childMissing, bestCost),
            mix(childId.hashCode() * 31 + c.peerId().hashCode())));
      }
    }
    return scored;
  }

  /** Murmur3's finalizer: String.hashCode alone orders similar ids the same for every child. */
  static int mix(int h) {
    h ^= h >>> 16;
    h *= 0x85ebca6b;
    h ^= h >>> 13;
    h *= 0xc2b2ae35;
    return h ^ (h >>> 16);
  }

  static boolean eligible(String childId, Candidate c, boolean needFreeSlot) {
    return !c.peerId().equals(childId) && (!needFreeSlot || c.freeUploadSlots() > 0)
        && (c.done() || c.usefulPieces() > 0);
  }

  static double score(Candidate c, int childMissing, double bestCost) {
    double pieces = childMissing <= 0 ? 0 : Math.min(1.0, c.usefulPieces() / (double) childMissing);
    double slots = c.uploadLimit() <= 0 ? 0
        : Math.max(0, Math.min(1.0, c.freeUploadSlots() / (double) c.uploadLimit()));
    double state = c.done() ? 1.0 : 0.5;
    double cost = c.pieceCostMs() > 0 && bestCost < Double.MAX_VALUE
        ? bestCost / c.pieceCostMs() : 0.5;
    double s = 0.40 * pieces + 0.25 * slots + 0.10 * state + 0.10 * (c.sameIdc() ? 1 : 0)
        + 0.05 * (c.sameLocation() ? 1 : 0) + 0.10 * cost;
    return s / (1 + Math.max(0, c.recentFailures()));
  }
}
