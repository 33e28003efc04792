package dev.dfcache.scheduler;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;

/**
 * This scheduler node's view of which peer hosts are alive: host id -> time (epoch ms) until which
 * its last heartbeat keeps it alive. Written by {@link HostRegistry} (from local heartbeats and
 * from the other nodes through Distributed Data); read by task entities when they pick parents.
 */
public final class HostLiveness implements Extension {
  private final ConcurrentHashMap<String, Long> aliveUntil = new ConcurrentHashMap<>();

  public static final ExtensionId<HostLiveness> ID = new ExtensionId<>() {
    @Override
    public HostLiveness createExtension(ActorSystem<?> system) {
      return new HostLiveness();
    }
  };

  public static HostLiveness get(ActorSystem<?> system) {
    return system.registerExtension(ID);
  }

  public boolean isAlive(String hostId) {
    Long until = aliveUntil.get(hostId);
    return until != null && until > System.currentTimeMillis();
  }

  /** Epoch ms until which the host counts as alive, or 0 when it was never seen. */
  public long aliveUntil(String hostId) {
    return aliveUntil.getOrDefault(hostId, 0L);
  }

  /** Records a later expiry; an earlier one (a stale gossip) never shortens a host's life. */
  public void extend(String hostId, long until) {
    aliveUntil.merge(hostId, until, Math::max);
  }

  void replaceAll(Map<String, Long> fromReplicas) {
    fromReplicas.forEach(this::extend);
  }

  void forget(String hostId) {
    aliveUntil.remove(hostId);
  }

  /** Hosts alive now (iterates the map; for metrics, not for hot paths). */
  public int aliveCount() {
    long now = System.currentTimeMillis();
    int n = 0;
    for (long until : aliveUntil.values()) {
      if (until > now) {
        n++;
      }
    }
    return n;
  }

  public int size() {
    return aliveUntil.size();
  }
}
