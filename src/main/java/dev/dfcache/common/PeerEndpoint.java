package dev.dfcache.common;

import dev.dfcache.api.scheduler.PeerHost;

/** Where a peer (dfdaemon) can be reached: its gRPC port and its piece upload port. */
public record PeerEndpoint(String id, String ip, int rpcPort, int downPort, String hostname)
    implements dev.dfcache.cluster.CborSerializable {

  public static PeerEndpoint fromProto(PeerHost h) {
    return new PeerEndpoint(h.getId(), h.getIp(), h.getRpcPort(), h.getDownPort(), h.getHostname());
  }

  public PeerHost toProto() {
    return PeerHost.newBuilder().setId(id).setIp(ip).setRpcPort(rpcPort).setDownPort(downPort)
        .setHostname(hostname).build();
  }

  public String uploadAddress() {
    return ip + ":" + downPort;
  }
}
