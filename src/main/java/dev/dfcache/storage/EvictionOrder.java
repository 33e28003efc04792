package dev.dfcache.storage;

import java.util.Collection;
import java.util.Map;
import java.util.function.Predicate;

/**
 * Which task the cache evicts next when it needs room: the least recently used one that is not a
 * replica; replicas (copies the network keeps on purpose, --persistent-replica-count) only when
 * nothing else is left, least recently used first. A replica evicted is re-made elsewhere by the
 * scheduler.
 */
final class EvictionOrder {
  private EvictionOrder() {}

  /** The next task to evict, or null when there is none. */
  static String next(Collection<String> taskIds, Map<String, Long> lastUsed,
      Predicate<String> isReplica) {
    String best = null;
    boolean bestIsReplica = true;
    long bestUsed = Long.MAX_VALUE;
    for (String id : taskIds) {
      boolean replica = isReplica.test(id);
      long used = lastUsed.getOrDefault(id, 0L);
      boolean better = best == null
          || (bestIsReplica && !replica)
          || (bestIsReplica == replica && (used < bestUsed
              || (used == bestUsed && id.compareTo(best) < 0)));
      if (better) {
        best = id;
        bestIsReplica = replica;
        bestUsed = used;
      }
    }
    return best;
  }
}
