package dev.dfcache.scheduler;

import dev.dfcache.common.PeerEndpoint;
import java.lang.ref.WeakReference;
import java.util.Map;
import java.util.WeakHashMap;

/**
 * One object per distinct peer address on this node, shared by every task entity that records the
 * peer: a peer that holds 100k tasks is then stored once, not 100k times. Weak, so a peer that no
 * task mentions any more is forgotten.
 */
final class SharedEndpoints {
  private static final Map<PeerEndpoint, WeakReference<PeerEndpoint>> SHARED = new WeakHashMap<>();

  private SharedEndpoints() {}

  static PeerEndpoint of(PeerEndpoint endpoint) {
    synchronized (SHARED) {
      WeakReference<PeerEndpoint> ref = SHARED.get(endpoint);
      PeerEndpoint shared = ref == null ? null : ref.get();
      if (shared == null) {
        SHARED.put(endpoint, new WeakReference<>(endpoint));
        return endpoint;
      }
      return shared;
    }
  }
}
