package dev.dfcache.scheduler;

import dev.dfcache.cluster.CborSerializable;

/**
 * What the fleet knows of a peer host from its heartbeats: until when (epoch ms) it counts as
 * alive, and its upload load: how many piece uploads it serves at once at most, and how many it
 * served at the heartbeat. A limit of 0 means "not reported" (an announce, or an old peer). The
 * address it advertised: while it is alive, beats for its id from another address are ignored.
 * The room left in its cache ({@code cacheFreeBytes}, -1 = not reported) and its IDC and
 * location (empty = not set) place replicas.
 */
public record HostStatus(long aliveUntil, int uploadLimit, int activeUploads, String ip,
    int rpcPort, long cacheFreeBytes, String idc, String location) implements CborSerializable {

  /** An announce's word: alive until then, nothing known of its load or room. */
  static HostStatus aliveOnly(long until) {
    return new HostStatus(until, 0, 0, "", 0, -1, "", "");
  }

  /** Whether a beat from {@code otherIp} may speak for this host at {@code now}. */
  boolean heldAgainst(String otherIp, long now) {
    return aliveUntil > now && !ip.isEmpty() && !ip.equals(otherIp);
  }

  /**
   * The newer of two reports (the later expiry), keeping the older's load, room and place when
   * the newer one reported none: an announce extends a host's life without knowing them.
   */
  static HostStatus newer(HostStatus a, HostStatus b) {
    HostStatus later = a.aliveUntil >= b.aliveUntil ? a : b;
    HostStatus earlier = later == a ? b : a;
    if (later.uploadLimit == 0 && earlier.uploadLimit > 0) {
      return new HostStatus(later.aliveUntil, earlier.uploadLimit, earlier.activeUploads,
          later.ip.isEmpty() ? earlier.ip : later.ip,
          later.ip.isEmpty() ? earlier.rpcPort : later.rpcPort,
          earlier.cacheFreeBytes, earlier.idc, earlier.location);
    }
    return later;
  }
}
