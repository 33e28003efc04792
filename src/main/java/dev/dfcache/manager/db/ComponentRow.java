package dev.dfcache.manager.db;

/**
 * A scheduler or peer as stored. State is a lease: {@link #active} while its lease runs, so a
 * component that stops keeping alive turns inactive on time whatever happened to its connection.
 * {@code configVersion}: the cluster configuration version it last said it runs with (0 = never
 * said), since {@code configAppliedAt}.
 */
public record ComponentRow(long id, String kind, String hostId, String hostName, String ip,
    int port, int uploadPort, String idc, String location, String version, long clusterId,
    long cacheCapacity, long cacheUsed, long leaseUntil, long lastKeepAliveAt, long createdAt,
    long configVersion, long configAppliedAt) {

  public boolean active(long nowMillis) {
    return leaseUntil > nowMillis;
  }

  public String state(long nowMillis) {
    return active(nowMillis) ? "active" : "inactive";
  }
}
