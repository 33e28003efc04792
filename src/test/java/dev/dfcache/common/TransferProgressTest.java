package dev.dfcache.common;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The counters a watched transfer keeps. */
class TransferProgressTest {

  @Test
  void countsBytesAndDistinctPeers() {
    TransferProgress p = new TransferProgress();
    assertEquals(new TransferProgress.Snapshot(0, 0, 0), p.snapshot());
    p.total(100);
    p.addFrom("parent-1", 10);
    p.addFrom("parent-2", 10);
    p.addFrom("parent-1", 10);
    p.add(5);
    assertEquals(new TransferProgress.Snapshot(35, 100, 2), p.snapshot());
  }

  @Test
  void aJoinedTransferShowsTheOneItJoined() {
    TransferProgress running = new TransferProgress();
    running.total(50);
    running.addFrom("parent", 20);
    TransferProgress joined = new TransferProgress();
    joined.follow(running);
    assertEquals(new TransferProgress.Snapshot(20, 50, 1), joined.snapshot());
    running.addFrom("parent", 30);
    assertEquals(new TransferProgress.Snapshot(50, 50, 1), joined.snapshot());
  }

  @Test
  void noneCountsNothing() {
    TransferProgress.NONE.total(10);
    TransferProgress.NONE.addFrom("parent", 10);
    TransferProgress.NONE.follow(new TransferProgress());
    assertEquals(new TransferProgress.Snapshot(0, 0, 0), TransferProgress.NONE.snapshot());
  }
}
