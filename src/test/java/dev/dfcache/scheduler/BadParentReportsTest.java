package dev.dfcache.scheduler;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class BadParentReportsTest {

  @Test
  void oneReportKeepsTheParentFromItsReporterOnly() {
    BadParentReports reports = new BadParentReports(2);
    assertFalse(reports.report("p", "c1", "10.0.0.1"));
    assertTrue(reports.excludedFor("p", "c1"));
    assertFalse(reports.excludedFor("p", "c2"));
    assertFalse(reports.isQuarantined("p"));
  }

  @Test
  void reportsFromEnoughHostsQuarantineOnce() {
    BadParentReports reports = new BadParentReports(2);
    reports.report("p", "c1", "10.0.0.1");
    assertTrue(reports.report("p", "c2", "10.0.0.2"), "the second host quarantines");
    assertFalse(reports.report("p", "c3", "10.0.0.3"), "already quarantined");
    assertTrue(reports.isQuarantined("p"));
    assertTrue(reports.excludedFor("p", "anyone"));
    assertFalse(reports.isQuarantined("q"));
  }

  @Test
  void oneHostCountsOnceWhateverPeerIdsItUses() {
    BadParentReports reports = new BadParentReports(2);
    reports.report("p", "c1", "10.0.0.9");
    assertFalse(reports.report("p", "c2", "10.0.0.9"));
    assertFalse(reports.report("p", "c1", "10.0.0.9"));
    assertFalse(reports.isQuarantined("p"));
    assertTrue(reports.excludedFor("p", "c2"), "each of its peers still avoids the parent");
  }

  @Test
  void aParentThatAnnouncesAgainStartsClean() {
    BadParentReports reports = new BadParentReports(1);
    assertTrue(reports.report("p", "c1", "h1"));
    reports.forget("p");
    assertFalse(reports.isQuarantined("p"));
    assertFalse(reports.excludedFor("p", "c1"));
  }
}
