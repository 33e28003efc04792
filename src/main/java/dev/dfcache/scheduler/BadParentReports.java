package dev.dfcache.scheduler;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Reports of one task's peers serving bad data, and the quarantine they add up to. One report
 * keeps the accused parent away from the peer that reported it (that peer saw the bad bytes);
 * only reports from {@code threshold} different reporting hosts quarantine it for everyone, so a
 * single peer, honest or not, cannot take another out of the swarm. Reports of a parent are
 * forgotten when it announces the task again (it re-imported or re-verified it).
 *
 * <p>Empty and shared until the first report: a node holds hundreds of thousands of tasks.
 */
final class BadParentReports {
  /** Who reported: the reporting peer, and the host it counts as (its address, with TLS). */
  private record Report(String reporterPeerId, String reporterHost) {}

  private final int threshold;
  private Map<String, List<Report>> byParent = Map.of();

  BadParentReports(int threshold) {
    this.threshold = Math.max(1, threshold);
  }

  /**
   * Counts a report; true when it is the one that quarantines the parent. Reports by the same
   * host count once, however many peer ids it uses.
   */
  boolean report(String parentId, String reporterPeerId, String reporterHost) {
    if (byParent.isEmpty()) {
      byParent = new HashMap<>(2);
    }
    boolean before = isQuarantined(parentId);
    List<Report> reports = byParent.computeIfAbsent(parentId, id -> new ArrayList<>(2));
    Report r = new Report(reporterPeerId, reporterHost);
    if (!reports.contains(r)) {
      reports.add(r);
    }
    return !before && isQuarantined(parentId);
  }

  /** Reported by enough different hosts: offered to no one. */
  boolean isQuarantined(String parentId) {
    List<Report> reports = byParent.get(parentId);
    if (reports == null) {
      return false;
    }
    return reports.stream().map(Report::reporterHost).distinct().count() >= threshold;
  }

  /** Not to be offered to this child: quarantined, or reported by the child itself. */
  boolean excludedFor(String parentId, String childPeerId) {
    List<Report> reports = byParent.get(parentId);
    if (reports == null) {
      return false;
    }
    return isQuarantined(parentId)
        || reports.stream().anyMatch(r -> r.reporterPeerId().equals(childPeerId));
  }

  /** The parent announced the task again: its slate is clean. */
  void forget(String parentId) {
    if (!byParent.isEmpty()) {
      byParent.remove(parentId);
    }
  }

  void clear() {
    byParent = Map.of();
  }
}
