package dev.dfcache.scheduler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ReplicationTest {
  private static final long GIB = 1L << 30;

  private static HostStatus host(long free, String idc, String location) {
    return new HostStatus(Long.MAX_VALUE, 4, 0, "10.0.0.1", 65000, free, idc, location);
  }

  @Test
  void mostRoomFirst() {
    Map<String, HostStatus> alive = new LinkedHashMap<>();
    alive.put("a", host(1 * GIB, "", ""));
    alive.put("b", host(9 * GIB, "", ""));
    alive.put("c", host(5 * GIB, "", ""));
    assertEquals(List.of("b", "c"),
        Replication.targets("t", 2, alive, Set.of(), 1 << 20, Replication.Places.empty()));
  }

  @Test
  void hostsWithoutRoomAreNeverAsked() {
    Map<String, HostStatus> alive = new LinkedHashMap<>();
    alive.put("small", host(10 << 20, "", ""));
    alive.put("big", host(GIB, "", ""));
    assertEquals(List.of("big"),
        Replication.targets("t", 2, alive, Set.of(), 100 << 20, Replication.Places.empty()));
  }

  @Test
  void unreportedRoomComesAfterReportedButIsUsed() {
    Map<String, HostStatus> alive = new LinkedHashMap<>();
    alive.put("old-peer", host(-1, "", ""));
    alive.put("new-peer", host(GIB, "", ""));
    assertEquals(List.of("new-peer", "old-peer"),
        Replication.targets("t", 2, alive, Set.of(), 1 << 20, Replication.Places.empty()));
  }

  @Test
  void excludedHostsAreSkipped() {
    Map<String, HostStatus> alive = new LinkedHashMap<>();
    alive.put("holder", host(9 * GIB, "", ""));
    alive.put("other", host(GIB, "", ""));
    assertEquals(List.of("other"),
        Replication.targets("t", 3, alive, Set.of("holder"), 1, Replication.Places.empty()));
  }

  @Test
  void spreadsOverIdcsBeforeRoom() {
    Map<String, HostStatus> alive = new LinkedHashMap<>();
    alive.put("east-big", host(9 * GIB, "east", ""));
    alive.put("east-big2", host(8 * GIB, "east", ""));
    alive.put("west-small", host(GIB, "west", ""));
    alive.put("north-small", host(GIB / 2, "north", ""));
    Replication.Places taken = Replication.Places.empty();
    taken.add("east", ""); // the importer is in east
    // both picks go to IDCs without a copy, and the second pick sees the first one's IDC
    assertEquals(List.of("west-small", "north-small"),
        Replication.targets("t", 2, alive, Set.of(), 1, taken));
  }

  @Test
  void aNewLocationCountsWhenIdcsAreAllTaken() {
    Map<String, HostStatus> alive = new LinkedHashMap<>();
    alive.put("rack1", host(9 * GIB, "dc", "rack1"));
    alive.put("rack2", host(GIB, "dc", "rack2"));
    Replication.Places taken = Replication.Places.empty();
    taken.add("dc", "rack1");
    assertEquals(List.of("rack2"), Replication.targets("t", 1, alive, Set.of(), 1, taken));
  }

  @Test
  void twoNodesPickAlikeAndTasksSpread() {
    Map<String, HostStatus> alive = new LinkedHashMap<>();
    for (int i = 0; i < 20; i++) {
      alive.put("h" + i, host(GIB, "", ""));
    }
    List<String> once = Replication.targets("task-1", 3, alive, Set.of(), 1,
        Replication.Places.empty());
    assertEquals(once, Replication.targets("task-1", 3, alive, Set.of(), 1,
        Replication.Places.empty()));
    java.util.Set<String> firstPicks = new java.util.HashSet<>();
    for (int t = 0; t < 50; t++) {
      firstPicks.add(Replication.targets("task-" + t, 1, alive, Set.of(), 1,
          Replication.Places.empty()).get(0));
    }
    assertTrue(firstPicks.size() >= 8, "tasks of one importer spread: " + firstPicks);
  }

  @Test
  void noCandidatesNoTargets() {
    assertEquals(List.of(), Replication.targets("t", 2, Map.of(), Set.of(), 1,
        Replication.Places.empty()));
  }
}
