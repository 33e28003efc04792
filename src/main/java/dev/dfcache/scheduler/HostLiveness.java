package dev.dfcache.scheduler;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;

/**
 * This scheduler node's view of the peer hosts: host id -> {@link HostStatus} (alive until when,
 * upload load). Written by {@link HostRegistry} (from local heartbeats and from the other nodes
 * through Distributed Data); read by task entities when they pick parents.
 */
public final class HostLiveness implements Extension {
  private final ConcurrentHashMap<String, HostStatus> hosts = new ConcurrentHashMap<>();

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
    HostStatus s = hosts.get(hostId);
    return s != null && s.aliveUntil() > System.currentTimeMillis();
  }

  /** Epoch ms until which the host counts as alive, or 0 when it was never seen. */
  public long aliveUntil(String hostId) {
    HostStatus s = hosts.get(hostId);
    return s == null ? 0 : s.aliveUntil();
  }

  /** The host's last known status, or null when it was never seen. */
  public HostStatus status(String hostId) {
    return hosts.get(hostId);
  }

  /** Records a newer status; an older one (a stale gossip) never shortens a host's life. */
  public void extend(String hostId, HostStatus status) {
    hosts.merge(hostId, status, HostStatus::newer);
  }

  /** Records that the host is alive until then, its load unchanged. */
  public void extend(String hostId, long until) {
    extend(hostId, HostStatus.aliveOnly(until));
  }

  void replaceAll(Map<String, HostStatus> fromReplicas) {
    fromReplicas.forEach(this::extend);
  }

  void forget(String hostId) {
    hosts.remove(hostId);
  }

  /** Hosts alive now (iterates the map; for metrics, not for hot paths). */
  /** The hosts alive now, by id, with the address their peer API is at. */
  public java.util.Map<String, HostStatus> alive() {
    long now = System.currentTimeMillis();
    java.util.Map<String, HostStatus> out = new java.util.HashMap<>();
    hosts.forEach((id, s) -> {
      if (s.aliveUntil() > now && s.rpcPort() > 0) {
        out.put(id, s);
      }
    });
    return out;
  }

  public int aliveCount() {
    long now = System.currentTimeMillis();
    int n = 0;
    for (HostStatus s : hosts.values()) {
      if (s.aliveUntil() > now) {
        n++;
      }
    }
    return n;
  }

  public int size() {
    return hosts.size();
  }
}
