package dev.dfcache.manager.db;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Schedulers and peers: registered (upserted) at start, their lease renewed by each keep-alive.
 * A scheduler is known by its gRPC endpoint (ip, port), a peer by its host id.
 */
public final class ComponentRepository {
  private static final String SCHEDULER_COLUMNS = "id, 'scheduler', '', host_name, ip, port, 0, "
      + "idc, location, version, cluster_id, 0, 0, lease_until, last_keep_alive_at, created_at, "
      + "config_version, config_applied_at";
  private static final String PEER_COLUMNS = "id, 'peer', host_id, host_name, ip, rpc_port, "
      + "upload_port, idc, location, version, cluster_id, cache_capacity, cache_used, "
      + "lease_until, last_keep_alive_at, created_at, config_version, config_applied_at";

  /** What a component says of itself when it registers. */
  public record Host(String hostId, String hostName, String ip, int port, int uploadPort,
      String idc, String location, String version) {}

  private ComponentRepository() {}

  private static ComponentRow row(ResultSet r) throws SQLException {
    return new ComponentRow(r.getLong(1), r.getString(2), r.getString(3), r.getString(4),
        r.getString(5), r.getInt(6), r.getInt(7), r.getString(8), r.getString(9),
        r.getString(10), r.getLong(11), r.getLong(12), r.getLong(13), r.getLong(14),
        r.getLong(15), r.getLong(16), r.getLong(17), r.getLong(18));
  }

  /** Registers or updates a scheduler; its lease starts now. */
  public static ComponentRow upsertScheduler(Connection c, Host h, long clusterId,
      long leaseMillis) throws SQLException {
    long now = System.currentTimeMillis();
    try (PreparedStatement s = c.prepareStatement("UPDATE schedulers SET host_name = ?, idc = ?, "
        + "location = ?, version = ?, cluster_id = ?, lease_until = ?, last_keep_alive_at = ? "
        + "WHERE ip = ? AND port = ?")) {
      s.setString(1, h.hostName());
      s.setString(2, h.idc());
      s.setString(3, h.location());
      s.setString(4, h.version());
      s.setLong(5, clusterId);
      s.setLong(6, now + leaseMillis);
      s.setLong(7, now);
      s.setString(8, h.ip());
      s.setInt(9, h.port());
      if (s.executeUpdate() == 0) {
        try (PreparedStatement i = c.prepareStatement("INSERT INTO schedulers (host_name, ip, "
            + "port, idc, location, version, cluster_id, lease_until, last_keep_alive_at, "
            + "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
          i.setString(1, h.hostName());
          i.setString(2, h.ip());
          i.setInt(3, h.port());
          i.setString(4, h.idc());
          i.setString(5, h.location());
          i.setString(6, h.version());
          i.setLong(7, clusterId);
          i.setLong(8, now + leaseMillis);
          i.setLong(9, now);
          i.setLong(10, now);
          i.executeUpdate();
        }
      }
    }
    return scheduler(c, h.ip(), h.port()).orElseThrow();
  }

  /** Registers or updates a peer; its lease starts now. */
  public static ComponentRow upsertPeer(Connection c, Host h, long clusterId, long leaseMillis,
      long cacheCapacity, long cacheUsed) throws SQLException {
    long now = System.currentTimeMillis();
    try (PreparedStatement s = c.prepareStatement("UPDATE peers SET host_name = ?, ip = ?, "
        + "rpc_port = ?, upload_port = ?, idc = ?, location = ?, version = ?, cluster_id = ?, "
        + "cache_capacity = ?, cache_used = ?, lease_until = ?, last_keep_alive_at = ? "
        + "WHERE host_id = ?")) {
      s.setString(1, h.hostName());
      s.setString(2, h.ip());
      s.setInt(3, h.port());
      s.setInt(4, h.uploadPort());
      s.setString(5, h.idc());
      s.setString(6, h.location());
      s.setString(7, h.version());
      s.setLong(8, clusterId);
      s.setLong(9, cacheCapacity);
      s.setLong(10, cacheUsed);
      s.setLong(11, now + leaseMillis);
      s.setLong(12, now);
      s.setString(13, h.hostId());
      if (s.executeUpdate() == 0) {
        try (PreparedStatement i = c.prepareStatement("INSERT INTO peers (host_id, host_name, "
            + "ip, rpc_port, upload_port, idc, location, version, cluster_id, cache_capacity, "
            + "cache_used, lease_until, last_keep_alive_at, created_at) "
            + "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
          i.setString(1, h.hostId());
          i.setString(2, h.hostName());
          i.setString(3, h.ip());
          i.setInt(4, h.port());
          i.setInt(5, h.uploadPort());
          i.setString(6, h.idc());
          i.setString(7, h.location());
          i.setString(8, h.version());
          i.setLong(9, clusterId);
          i.setLong(10, cacheCapacity);
          i.setLong(11, cacheUsed);
          i.setLong(12, now + leaseMillis);
          i.setLong(13, now);
          i.setLong(14, now);
          i.executeUpdate();
        }
      }
    }
    return peer(c, h.hostId()).orElseThrow();
  }

  /**
   * The SET part that records the configuration version a keep-alive reports (0 = not
   * reported: kept) and when it changed. Both expressions read the row as it was.
   */
  private static final String CONFIG_VERSION_SET = "config_applied_at = CASE WHEN ? > 0 AND "
      + "config_version <> ? THEN ? ELSE config_applied_at END, "
      + "config_version = CASE WHEN ? > 0 THEN ? ELSE config_version END";

  /** Binds {@link #CONFIG_VERSION_SET}'s five parameters from {@code first}; the next index. */
  private static int bindConfigVersion(PreparedStatement s, int first, long version, long now)
      throws SQLException {
    s.setLong(first, version);
    s.setLong(first + 1, version);
    s.setLong(first + 2, now);
    s.setLong(first + 3, version);
    s.setLong(first + 4, version);
    return first + 5;
  }

  /**
   * Renews a scheduler's lease and records the configuration version it runs with; empty when
   * the manager does not know it.
   */
  public static Optional<ComponentRow> renewScheduler(Connection c, String ip, int port,
      long leaseMillis, long configVersion) throws SQLException {
    long now = System.currentTimeMillis();
    try (PreparedStatement s = c.prepareStatement("UPDATE schedulers SET lease_until = ?, "
        + "last_keep_alive_at = ?, " + CONFIG_VERSION_SET + " WHERE ip = ? AND port = ?")) {
      s.setLong(1, now + leaseMillis);
      s.setLong(2, now);
      int next = bindConfigVersion(s, 3, configVersion, now);
      s.setString(next, ip);
      s.setInt(next + 1, port);
      if (s.executeUpdate() == 0) {
        return Optional.empty();
      }
    }
    return scheduler(c, ip, port);
  }

  /**
   * Renews a peer's lease, its cache use and the configuration version it runs with; empty when
   * the manager does not know it.
   */
  public static Optional<ComponentRow> renewPeer(Connection c, String hostId, long leaseMillis,
      long cacheUsed, long configVersion) throws SQLException {
    long now = System.currentTimeMillis();
    try (PreparedStatement s = c.prepareStatement("UPDATE peers SET lease_until = ?, "
        + "last_keep_alive_at = ?, cache_used = ?, " + CONFIG_VERSION_SET
        + " WHERE host_id = ?")) {
      s.setLong(1, now + leaseMillis);
      s.setLong(2, now);
      s.setLong(3, cacheUsed);
      int next = bindConfigVersion(s, 4, configVersion, now);
      s.setString(next, hostId);
      if (s.executeUpdate() == 0) {
        return Optional.empty();
      }
    }
    return peer(c, hostId);
  }

  public static Optional<ComponentRow> scheduler(Connection c, String ip, int port)
      throws SQLException {
    return one(c, "SELECT " + SCHEDULER_COLUMNS + " FROM schedulers WHERE ip = ? AND port = ?",
        ip, port);
  }

  public static Optional<ComponentRow> peer(Connection c, String hostId) throws SQLException {
    return one(c, "SELECT " + PEER_COLUMNS + " FROM peers WHERE host_id = ?", hostId);
  }

  public static Optional<ComponentRow> peerById(Connection c, long id) throws SQLException {
    return one(c, "SELECT " + PEER_COLUMNS + " FROM peers WHERE id = ?", id);
  }

  /** The row a select by a unique key finds, if any. */
  private static Optional<ComponentRow> one(Connection c, String sql, Object... params)
      throws SQLException {
    try (PreparedStatement s = c.prepareStatement(sql)) {
      for (int i = 0; i < params.length; i++) {
        s.setObject(i + 1, params[i]);
      }
      try (ResultSet r = s.executeQuery()) {
        return r.next() ? Optional.of(row(r)) : Optional.empty();
      }
    }
  }

  /** Schedulers, all or of one cluster (clusterId 0 = all), by id. */
  public static List<ComponentRow> schedulers(Connection c, long clusterId) throws SQLException {
    return list(c, "SELECT " + SCHEDULER_COLUMNS + " FROM schedulers"
        + (clusterId > 0 ? " WHERE cluster_id = ?" : "") + " ORDER BY id", clusterId);
  }

  /** Peers, all or of one cluster (clusterId 0 = all), by id. */
  public static List<ComponentRow> peers(Connection c, long clusterId) throws SQLException {
    return list(c, "SELECT " + PEER_COLUMNS + " FROM peers"
        + (clusterId > 0 ? " WHERE cluster_id = ?" : "") + " ORDER BY id", clusterId);
  }

  private static List<ComponentRow> list(Connection c, String sql, long clusterId)
      throws SQLException {
    try (PreparedStatement s = c.prepareStatement(sql)) {
      if (clusterId > 0) {
        s.setLong(1, clusterId);
      }
      List<ComponentRow> out = new ArrayList<>();
      try (ResultSet r = s.executeQuery()) {
        while (r.next()) {
          out.add(row(r));
        }
      }
      return out;
    }
  }
}
