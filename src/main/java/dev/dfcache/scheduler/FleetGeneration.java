package dev.dfcache.scheduler;

import dev.dfcache.common.Digests;
import java.nio.charset.StandardCharsets;
import java.util.TreeSet;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;

/**
 * A short fingerprint of the scheduler fleet's membership: the reachable Up members with the
 * scheduler role. Peers get it with every heartbeat answer; when it changes, shards may have moved
 * with their in-memory state lost (a crashed node), so peers re-announce what they hold. An
 * unreachable node counts as gone at once, so the first re-announce starts as soon as a crash is
 * noticed, and the one after reannounce-settle lands once the node has been downed.
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
    TreeSet<String> up = new TreeSet<>();
    java.util.Set<Member> unreachable = state.getUnreachable();
    for (Member m : state.getMembers()) {
      if (m.status() == MemberStatus.up() && m.hasRole(role) && !unreachable.contains(m)) {
        up.add(m.uniqueAddress().toString());
      }
    }
    String joined = String.join(",", up);
    return Digests.sha256Hex(joined.getBytes(StandardCharsets.UTF_8)).substring(0, 16);
  }
}
