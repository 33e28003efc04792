package dev.dfcache.cluster;

import java.util.HashMap;
import java.util.Map;

/**
 * Where each of a fixed number of shards lives for a given set of nodes: consistent hashing with
 * bounded loads. A plain hash ring puts 128 shards on 3 nodes very unevenly (the fullest node held
 * 38% on average and up to 46% in simulations, 41% in a 1M-task benchmark, and every task's
 * actor costs heap there). Here no node takes more than {@code (1 + SLACK)} times its fair share:
 * a shard whose ring owner is full goes to the next node clockwise with room.
 *
 * <p>A pure function of the node set, so every coordinator and every leaving node (which sends
 * its tasks' state ahead to their next owner) computes the same answer. A node joining or
 * leaving still moves about 1/N of the shards; the bound moves a few more (about 2 of 128 on
 * average for a join plus a leave with 3-4 nodes), which the hand-off carries like any other.
 */
public final class ShardPlacement<N> {
  /** How far over its fair share a node may go before shards overflow to the next node. */
  public static final double SLACK = 0.1;

  private final int shards;
  private final int virtualNodes;
  /** The placement for the last set of nodes asked about: it changes only when they do. */
  private Map<String, N> lastNodes = Map.of();
  private Map<String, N> last = Map.of();

  public ShardPlacement(int shards, int virtualNodes) {
    this.shards = shards;
    this.virtualNodes = virtualNodes;
  }

  /** {@link #place} for these nodes, computed again only when the nodes differ from last time. */
  public synchronized Map<String, N> of(Map<String, N> nodesByKey) {
    if (!nodesByKey.equals(lastNodes)) {
      last = place(nodesByKey, shards, virtualNodes);
      lastNodes = Map.copyOf(nodesByKey);
    }
    return last;
  }

  /** The owner of each shard id ("0" .. shards-1) among the nodes, keyed as the ring keys them. */
  public static <T> Map<String, T> place(Map<String, T> nodesByKey, int shards, int virtualNodes) {
    if (nodesByKey.isEmpty()) {
      throw new IllegalArgumentException("no nodes to place shards on");
    }
    ConsistentHashRing<T> ring = new ConsistentHashRing<>(nodesByKey, virtualNodes);
    int capacity = capacity(shards, nodesByKey.size());
    Map<T, Integer> load = new HashMap<>();
    Map<String, T> owners = new HashMap<>(shards * 2);
    for (int shard = 0; shard < shards; shard++) {
      String id = Integer.toString(shard);
      T owner = ring.ownerWithRoom(id, n -> load.getOrDefault(n, 0) < capacity);
      load.merge(owner, 1, Integer::sum);
      owners.put(id, owner);
    }
    return owners;
  }

  /** The most shards one of {@code nodes} nodes may hold. */
  static int capacity(int shards, int nodes) {
    return (int) Math.ceil(shards / (double) nodes * (1 + SLACK));
  }
}
