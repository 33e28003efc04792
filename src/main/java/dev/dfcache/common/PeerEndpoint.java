package dev.dfcache.common;

import dev.dfcache.api.scheduler.PeerHost;

/**
 * Where a peer (dfdaemon) can be reached: its gRPC port and its piece upload port; and where it
 * is (IDC and location, "" when not set), which parent selection prefers to keep traffic near.
 */
public record PeerEndpoint(String id, String ip, int rpcPort, int downPort, String hostname,
    String idc, String location) implements dev.dfcache.cluster.CborSerializable {

  public static PeerEndpoint fromProto(PeerHost h) {
    return new PeerEndpoint(h.getId(), h.getIp(), h.getRpcPort(), h.getDownPort(), h.getHostname(),
        h.getIdc(), h.getLocation());
  }

  public PeerHost toProto() {
    return PeerHost.newBuilder().setId(id).setIp(ip).setRpcPort(rpcPort).setDownPort(downPort)
        .setHostname(hostname).setIdc(idc).setLocation(location).build();
  }

  /** The same host under another peer id (a v1 peer's download id). */
  public PeerEndpoint withId(String peerId) {
    return new PeerEndpoint(peerId, ip, rpcPort, downPort, hostname, idc, location);
  }

  public String uploadAddress() {
    return ip + ":" + downPort;
  }

  /** Both set and equal. */
  public boolean sameIdcAs(PeerEndpoint other) {
    return !idc.isEmpty() && idc.equals(other.idc);
  }

  /**
   * Locations are "|"-separated paths from wide to narrow (Dragonfly's form, e.g.
   * "region|zone"): the same first element counts as near.
   */
  public boolean sameLocationAs(PeerEndpoint other) {
    if (location.isEmpty() || other.location.isEmpty()) {
      return false;
    }
    int a = location.indexOf('|');
    int b = other.location.indexOf('|');
    return (a < 0 ? location : location.substring(0, a))
        .equals(b < 0 ? other.location : other.location.substring(0, b));
  }
}
