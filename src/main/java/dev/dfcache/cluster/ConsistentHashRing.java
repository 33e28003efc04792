package dev.dfcache.cluster;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Collection;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Predicate;

/**
 * A hash ring of nodes, each placed at {@code virtualNodes} points, so that a key's owner is the
 * first node point clockwise from the key's hash. Adding or removing one of N nodes moves only the
 * keys between that node's points and their predecessors: about 1/N of them.
 */
public final class ConsistentHashRing<N> {
  private final TreeMap<Long, N> ring = new TreeMap<>();

  public ConsistentHashRing(Map<String, N> nodesByKey, int virtualNodes) {
    if (virtualNodes <= 0) {
      throw new IllegalArgumentException("virtualNodes must be positive");
    }
    for (Map.Entry<String, N> e : nodesByKey.entrySet()) {
      for (int v = 0; v < virtualNodes; v++) {
        ring.put(hash(e.getKey() + "#" + v), e.getValue());
      }
    }
  }

  public boolean isEmpty() {
    return ring.isEmpty();
  }

  public N ownerOf(String key) {
    if (ring.isEmpty()) {
      throw new IllegalStateException("no nodes on the ring");
    }
    Map.Entry<Long, N> e = ring.ceilingEntry(hash(key));
    return e != null ? e.getValue() : ring.firstEntry().getValue();
  }

  /**
   * The first node clockwise from the key's hash that {@code hasRoom} accepts: the owner under
   * bounded loads, where a full node passes the key on to the next one on the ring.
   */
  public N ownerWithRoom(String key, Predicate<N> hasRoom) {
    long h = hash(key);
    for (N n : ring.tailMap(h, true).values()) {
      if (hasRoom.test(n)) {
        return n;
      }
    }
    for (N n : ring.headMap(h, false).values()) {
      if (hasRoom.test(n)) {
        return n;
      }
    }
    throw new IllegalStateException("no node on the ring has room for " + key);
  }

  public Collection<N> nodes() {
    return new java.util.HashSet<>(ring.values());
  }

  /** A stable, well-spread 64-bit hash (the first 8 bytes of MD5; speed does not matter here). */
  static long hash(String s) {
    try {
      byte[] d = MessageDigest.getInstance("MD5").digest(s.getBytes(StandardCharsets.UTF_8));
      return ByteBuffer.wrap(d).getLong();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
