package dev.dfcache.scheduler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dfcache.api.common.UrlMeta;
import dev.dfcache.rpc.Channels;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ReplicaKeeperTest {
  // asks go to a closed port: sent and forgotten, as the keeper does not await them
  private final DaemonCalls daemons = new DaemonCalls(new Channels());
  private final ReplicaKeeper keeper = new ReplicaKeeper("task", daemons);

  @AfterEach
  void close() {
    daemons.close();
  }

  private static Replication copies(int n) {
    return new Replication(n, "d7y:/x", UrlMeta.getDefaultInstance().toByteArray());
  }

  private static Map<String, HostStatus> hosts(String... ids) {
    Map<String, HostStatus> m = new LinkedHashMap<>();
    for (String id : ids) {
      m.put(id, new HostStatus(Long.MAX_VALUE, 4, 0, "127.0.0.1", 1, 1L << 30, "", ""));
    }
    return m;
  }

  private static ReplicaKeeper.Holders holders(int live, Set<String> peers, Set<String> complete) {
    return new ReplicaKeeper.Holders(live, peers, complete, Replication.Places.empty());
  }

  @Test
  void aFreshImportSetsTheTargetAndAReannounceOnlyRaisesIt() {
    keeper.offer(copies(3), true);
    assertEquals(3, keeper.wanted());
    keeper.offer(copies(2), false);
    assertEquals(3, keeper.wanted(), "an old copy's announce does not lower it");
    keeper.offer(copies(4), false);
    assertEquals(4, keeper.wanted());
    keeper.offer(copies(1), true);
    assertFalse(keeper.active(), "a fresh import of one copy drops the target");
    keeper.restore(copies(2));
    assertEquals(2, keeper.wanted());
    keeper.restore(copies(5));
    assertEquals(2, keeper.wanted(), "a set target wins over a handed-over one");
  }

  @Test
  void asksForTheMissingCopiesOnceAndForgetsAnAskAnsweredWithACopy() {
    keeper.offer(copies(3), true);
    Map<String, HostStatus> alive = hosts("a", "b", "c", "d");
    List<String> asked = keeper.round(holders(1, Set.of("a"), Set.of("a")), 10, alive, 0);
    assertEquals(2, asked.size());
    assertFalse(asked.contains("a"), "the holder is not asked");
    assertEquals(List.of(), keeper.round(holders(1, Set.of("a"), Set.of("a")), 10, alive, 1),
        "the hosts asked have their time");
    String first = asked.get(0);
    // one asked host came with its copy; the other is still on its way: nothing more to ask
    assertEquals(List.of(), keeper.round(holders(2, Set.of("a", first), Set.of("a", first)), 10,
        alive, 2));
    assertEquals(1, keeper.pendingAsks());
  }

  @Test
  void anAskThatRanOutIsGivenToAnotherHost() {
    keeper.offer(copies(2), true);
    Map<String, HostStatus> alive = hosts("a", "b", "c");
    List<String> asked = keeper.round(holders(1, Set.of("a"), Set.of("a")), 10, alive, 0);
    assertEquals(1, asked.size());
    long later = ReplicaKeeper.PATIENCE.toMillis() + 1;
    List<String> again = keeper.round(holders(1, Set.of("a"), Set.of("a")), 10, alive, later);
    assertEquals(1, again.size());
    assertTrue(!again.get(0).equals("a"));
  }

  @Test
  void noTargetNoAsks() {
    assertEquals(List.of(), keeper.round(holders(0, Set.of(), Set.of()), 10, hosts("a"), 0));
    keeper.offer(copies(2), true);
    keeper.clear();
    assertEquals(List.of(), keeper.round(holders(0, Set.of(), Set.of()), 10, hosts("a"), 0));
  }
}
