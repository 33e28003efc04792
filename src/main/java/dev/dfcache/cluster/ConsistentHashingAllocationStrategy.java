package dev.dfcache.cluster;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.Address;
import org.apache.pekko.cluster.Cluster;
import org.apache.pekko.cluster.sharding.ShardCoordinator;
import org.apache.pekko.dispatch.Futures;
import scala.collection.immutable.IndexedSeq;
import scala.concurrent.Future;

/**
 * Places shards on the scheduler nodes by consistent hashing with bounded loads
 * ({@link ShardPlacement}): each shard region (one per node) is put on a hash ring by its node
 * address with virtual nodes, and a shard lives on the first node clockwise from its id that is
 * not over its fair share. Pekko 1.x has no such strategy built in.
 *
 * <p>Rebalance moves exactly the shards whose placement is no longer their current region, so a
 * node joining or leaving moves about 1/N of the shards (and a few more for the bound), all in
 * one round.
 */
public final class ConsistentHashingAllocationStrategy
    extends ShardCoordinator.AbstractShardAllocationStrategy
    implements ShardCoordinator.ActorSystemDependentAllocationStrategy {

  public static final int DEFAULT_VIRTUAL_NODES = 160;

  private final int virtualNodes;
  private final ShardPlacement<ActorRef> placement;
  private Function<ActorRef, String> regionKey;
  /** The regions seen by the previous rebalance round; moves wait until they hold still. */
  private Set<ActorRef> regionsLastRound = Set.of();

  /** For {@code shards} shards named "0" .. shards-1, as {@code TaskShards} names them. */
  public ConsistentHashingAllocationStrategy(int virtualNodes, int shards) {
    this.virtualNodes = virtualNodes;
    this.placement = new ShardPlacement<>(shards, virtualNodes);
  }

  /** For tests: regions keyed by a given function instead of their node addresses. */
  public ConsistentHashingAllocationStrategy(int virtualNodes, int shards,
      Function<ActorRef, String> key) {
    this(virtualNodes, shards);
    this.regionKey = key;
  }

  @Override
  public void start(ActorSystem system) {
    if (regionKey == null) {
      // The coordinator's own region has a local address (no host): hash the node's real address,
      // or the ring would differ between coordinators on different nodes.
      Address self = Cluster.get(system).selfAddress();
      regionKey = region -> {
        Address a = region.path().address();
        return (a.hasLocalScope() ? self : a).toString();
      };
    }
  }

  @Override
  public Future<ActorRef> allocateShard(ActorRef requester, String shardId,
      Map<ActorRef, IndexedSeq<String>> current) {
    return Futures.successful(ownerOf(shardId, regionsByKey(current)));
  }

  @Override
  public Future<Set<String>> rebalance(Map<ActorRef, IndexedSeq<String>> current,
      Set<String> rebalanceInProgress) {
    return Futures.successful(shardsToMove(current, rebalanceInProgress));
  }

  /**
   * The shards whose ring owner differs from the region that holds them, once the set of regions
   * has held still for one rebalance round: while nodes are still joining, a shard would otherwise
   * move twice in a row (its state with it), and sharding drops messages buffered across two
   * consecutive hand-offs of one shard.
   */
  Set<String> shardsToMove(Map<ActorRef, IndexedSeq<String>> current,
      Set<String> rebalanceInProgress) {
    Set<String> move = new HashSet<>();
    boolean regionsChanged = !current.keySet().equals(regionsLastRound);
    regionsLastRound = Set.copyOf(current.keySet());
    if (regionsChanged || !rebalanceInProgress.isEmpty() || current.size() < 2) {
      return move;
    }
    Map<String, ActorRef> regions = regionsByKey(current);
    for (Map.Entry<ActorRef, IndexedSeq<String>> e : current.entrySet()) {
      scala.collection.Iterator<String> it = e.getValue().iterator();
      while (it.hasNext()) {
        String shard = it.next();
        if (!ownerOf(shard, regions).equals(e.getKey())) {
          move.add(shard);
        }
      }
    }
    return move;
  }

  /** The regions keyed as the ring places them: by their node's address. */
  private Map<String, ActorRef> regionsByKey(Map<ActorRef, IndexedSeq<String>> current) {
    if (regionKey == null) {
      throw new IllegalStateException("strategy not started");
    }
    Map<String, ActorRef> byKey = new HashMap<>();
    for (ActorRef region : current.keySet()) {
      byKey.put(regionKey.apply(region), region);
    }
    return byKey;
  }

  private ActorRef ownerOf(String shardId, Map<String, ActorRef> regions) {
    ActorRef owner = placement.of(regions).get(shardId);
    // a shard id outside 0..shards-1 would be a misconfiguration: still give it a home
    return owner != null ? owner : new ConsistentHashRing<>(regions, virtualNodes).ownerOf(shardId);
  }
}
