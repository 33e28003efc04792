package dev.dfcache.scheduler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.dfcache.api.common.PieceInfo;
import dev.dfcache.api.common.PiecePacket;
import dev.dfcache.api.scheduler.AnnounceTaskRequest;
import dev.dfcache.api.scheduler.PeerHost;
import dev.dfcache.api.scheduler.StatTaskRequest;
import dev.dfcache.api.scheduler.Task;
import dev.dfcache.common.Digests;
import dev.dfcache.common.HostPort;
import dev.dfcache.rpc.Channels;
import dev.dfcache.rpc.SchedulerRpc;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.sharding.ShardRegion;
import org.apache.pekko.cluster.sharding.typed.GetShardRegionState;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.typed.Cluster;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Three scheduler nodes in one JVM, each a real ActorSystem with its own Artery and gRPC ports on
 * 127.0.0.1, called over gRPC like peers call them.
 */
class SchedulerClusterTest {
  static final int TASKS = 200;
  final List<SchedulerNode> nodes = new ArrayList<>();
  final Channels channels = new Channels();

  static Config config() {
    return ConfigFactory.parseString("dfcache.scheduler.host-ttl = 60s\n"
        + "pekko.cluster.split-brain-resolver.stable-after = 2s\n").withFallback(ConfigFactory.load());
  }

  SchedulerNode startNode(SchedulerNode seed) {
    Config config = config();
    SchedulerSettings s = SchedulerSettings.fromConfig(config)
        .withAddresses("127.0.0.1", 0, 0, List.of());
    SchedulerNode node = SchedulerNode.start(s, config, seed == null ? null : seed.clusterAddress());
    nodes.add(node);
    return node;
  }

  @AfterEach
  void stop() {
    channels.close();
    nodes.forEach(SchedulerNode::close);
  }

  static String taskId(int i) {
    return Digests.sha256Hex(("task-" + i).getBytes());
  }

  static AnnounceTaskRequest announce(String taskId, String peer) {
    String digest = Digests.sha256Hex(taskId.getBytes());
    return AnnounceTaskRequest.newBuilder()
        .setTaskId(taskId)
        .setUrl("d7y:/" + taskId)
        .setPeerHost(PeerHost.newBuilder().setId(peer).setIp("127.0.0.1").setRpcPort(1)
            .setDownPort(2).setHostname("h"))
        .setPiecePacket(PiecePacket.newBuilder().setContentLength(10).setTotalPiece(1)
            .addPieceInfos(PieceInfo.newBuilder().setPieceNum(0).setRangeSize(10)
                .setPieceMd5(digest)))
        .build();
  }

  Task stat(SchedulerNode via, String taskId) {
    return SchedulerRpc.STAT_TASK.call(channels.get(via.grpcAddress()),
        StatTaskRequest.newBuilder().setTaskId(taskId).build(), Duration.ofSeconds(10));
  }

  static void awaitMembers(SchedulerNode node, int up) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (System.nanoTime() < deadline) {
      long count = 0;
      for (var m : Cluster.get(node.system()).state().getMembers()) {
        if (m.status() == MemberStatus.up()) {
          count++;
        }
      }
      if (count == up) {
        return;
      }
      Thread.sleep(100);
    }
    throw new AssertionError("cluster did not reach " + up + " Up members");
  }

  static int entitiesOn(SchedulerNode node) {
    TestProbe<ShardRegion.CurrentShardRegionState> probe = TestProbe.create(node.system());
    ClusterSharding.get(node.system()).shardState()
        .tell(new GetShardRegionState(TaskEntity.TYPE_KEY, probe.ref()));
    return probe.receiveMessage(Duration.ofSeconds(5)).getShards().stream()
        .mapToInt(s -> s.getEntityIds().size()).sum();
  }

  /**
   * As a dfdaemon's Announcer does: an announce that times out (a message to a shard that is
   * moving can be dropped by sharding) is sent again, up to its announce-attempts (6).
   */
  void announceLikeAPeer(SchedulerNode via, int i) {
    for (int attempt = 1; ; attempt++) {
      try {
        SchedulerRpc.ANNOUNCE_TASK.call(channels.get(via.grpcAddress()),
            announce(taskId(i), "peer-" + (i % 5)), Duration.ofSeconds(10));
        return;
      } catch (io.grpc.StatusRuntimeException e) {
        if (attempt >= 6 || !String.valueOf(e.getStatus().getDescription()).contains("[1504]")) {
          throw e;
        }
      }
    }
  }

  @Test
  void tasksSpreadOverTheNodesAndALeavingNodeHandsItsTasksOver() throws Exception {
    SchedulerNode first = startNode(null);
    SchedulerNode second = startNode(first);
    SchedulerNode third = startNode(first);
    awaitMembers(first, 3);
    for (int i = 0; i < TASKS; i++) {
      announceLikeAPeer(nodes.get(i % 3), i);
    }
    Map<SchedulerNode, Integer> spread = new HashMap<>();
    for (SchedulerNode n : nodes) {
      spread.put(n, entitiesOn(n));
    }
    assertEquals(TASKS, spread.values().stream().mapToInt(Integer::intValue).sum());
    for (int count : spread.values()) {
      assertTrue(count > TASKS * 0.15, "tasks not spread over the nodes: " + spread.values());
    }

    int onThird = spread.get(third);
    String generationBefore = new FleetGeneration(Cluster.get(first.system()), "scheduler").current();
    third.close();
    nodes.remove(third);
    awaitMembers(first, 2);
    assertTrue(!generationBefore.equals(
        new FleetGeneration(Cluster.get(first.system()), "scheduler").current()),
        "peers learn from heartbeats that the fleet changed");
    // What every peer does when the generation changes: announce what it holds again. (A
    // graceful hand-off also carries each entity's state to its next incarnation, but sharding
    // may drop such a message when a shard moves twice, so the peers' re-announce is the rule.)
    for (int i = 0; i < TASKS; i++) {
      announceLikeAPeer(nodes.get(i % 2), i);
    }
    for (int i = 0; i < TASKS; i++) {
      Task t = stat(i % 2 == 0 ? first : second, taskId(i));
      assertEquals("Succeeded", t.getState(), "task " + i);
      assertTrue(t.getHasAvailablePeer(), "task " + i + " lost its holder");
      assertEquals(1, t.getPeerCount());
    }
    assertEquals(TASKS, entitiesOn(first) + entitiesOn(second),
        "the " + onThird + " tasks of the leaving node moved to the others");
  }

  @Test
  void unknownTasksAndBadIdsAreErrorsWithDragonflyCodes() {
    SchedulerNode only = startNode(null);
    var e = org.junit.jupiter.api.Assertions.assertThrows(io.grpc.StatusRuntimeException.class,
        () -> stat(only, taskId(1)));
    assertEquals("[1404]task " + taskId(1) + " not found", e.getStatus().getDescription());
    e = org.junit.jupiter.api.Assertions.assertThrows(io.grpc.StatusRuntimeException.class,
        () -> stat(only, "../etc/passwd"));
    assertTrue(e.getStatus().getDescription().startsWith("[1400]"));
    HostPort addr = only.grpcAddress();
    assertTrue(addr.port() > 0);
  }
}
