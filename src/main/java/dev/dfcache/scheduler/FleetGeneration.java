package dev.dfcache.scheduler;

import dev.dfcache.common.Digests;
import java.nio.charset.StandardCharsets;
import java.util.TreeSet;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.typed.Cluster;

/**
 * A short fingerprint of the scheduler fleet's membership: every member with its status and
 * reachability. Peers get it with every heartbeat answer and re-announce what they hold whenever
 * it changes, because task state may have moved or been lost: a node turning unreachable, being
 * downed and being removed are three changes, and the re-announce after the last one lands on
 * shards that sharding has re-allocated to the survivors.
 */
public final class FleetGeneration {
  private final Cluster cluster;
  private final String role;

  public FleetGeneration(Cluster cluster, String role) {
    this.cluster = cluster;
    this.role = role;
  }

  public String current() {
    ClusterEvent.CurrentClusterState state = cluster.state();
    TreeSet<String> members = new TreeSet<>();
    java.util.Set<Member> unreachable = state.getUnreachable();
    for (Member m : state.getMembers()) {
      if (m.hasRole(role)) {
        members.add(m.uniqueAddress() + ":" + m.status() + (unreachable.contains(m) ? ":x" : ""));
      }
    }
    String joined = String.join(",", members);
    return Digests.sha256Hex(joined.getBytes(StandardCharsets.UTF_8)).substring(0, 16);
  }
}
