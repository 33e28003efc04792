package dev.dfcache.manager.db;

import dev.dfcache.dynconfig.Scopes;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Scheduler clusters: their configuration, scopes, and the version every change bumps. */
public final class ClusterRepository {
  public static final String DEFAULT_NAME = "default";
  private static final String COLUMNS = "id, name, bio, config, client_config, scopes, is_default, "
      + "config_version, created_at, updated_at";

  private ClusterRepository() {}

  static ClusterRow row(ResultSet r) throws SQLException {
    return new ClusterRow(r.getLong(1), r.getString(2), r.getString(3), r.getString(4),
        r.getString(5), r.getString(6), r.getBoolean(7), r.getLong(8), r.getLong(9),
        r.getLong(10));
  }

  public static List<ClusterRow> list(Connection c) throws SQLException {
    try (PreparedStatement s = c.prepareStatement(
        "SELECT " + COLUMNS + " FROM scheduler_clusters ORDER BY id")) {
      List<ClusterRow> out = new ArrayList<>();
      try (ResultSet r = s.executeQuery()) {
        while (r.next()) {
          out.add(row(r));
        }
      }
      return out;
    }
  }

  public static Optional<ClusterRow> get(Connection c, long id) throws SQLException {
    try (PreparedStatement s = c.prepareStatement(
        "SELECT " + COLUMNS + " FROM scheduler_clusters WHERE id = ?")) {
      s.setLong(1, id);
      try (ResultSet r = s.executeQuery()) {
        return r.next() ? Optional.of(row(r)) : Optional.empty();
      }
    }
  }

  /**
   * The cluster, its row locked until the transaction ends: a read-modify-write (the REST API's
   * merging PATCH) then never loses a concurrent one's keys.
   */
  public static Optional<ClusterRow> getForUpdate(Connection c, long id) throws SQLException {
    try (PreparedStatement s = c.prepareStatement(
        "SELECT " + COLUMNS + " FROM scheduler_clusters WHERE id = ? FOR UPDATE")) {
      s.setLong(1, id);
      try (ResultSet r = s.executeQuery()) {
        return r.next() ? Optional.of(row(r)) : Optional.empty();
      }
    }
  }

  public static Optional<ClusterRow> byName(Connection c, String name) throws SQLException {
    try (PreparedStatement s = c.prepareStatement(
        "SELECT " + COLUMNS + " FROM scheduler_clusters WHERE name = ?")) {
      s.setString(1, name);
      try (ResultSet r = s.executeQuery()) {
        return r.next() ? Optional.of(row(r)) : Optional.empty();
      }
    }
  }

  /** @throws Database.DatabaseException with uniqueViolation() when the name is taken */
  public static ClusterRow create(Connection c, String name, String bio, String config,
      String clientConfig, String scopes, boolean isDefault) throws SQLException {
    long now = System.currentTimeMillis();
    try (PreparedStatement s = c.prepareStatement("INSERT INTO scheduler_clusters (name, bio, "
        + "config, client_config, scopes, is_default, config_version, created_at, updated_at) "
        + "VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?)", Statement.RETURN_GENERATED_KEYS)) {
      s.setString(1, name);
      s.setString(2, bio);
      s.setString(3, config);
      s.setString(4, clientConfig);
      s.setString(5, scopes);
      s.setBoolean(6, isDefault);
      s.setLong(7, now);
      s.setLong(8, now);
      s.executeUpdate();
      try (ResultSet keys = s.getGeneratedKeys()) {
        keys.next();
        return get(c, keys.getLong(1)).orElseThrow();
      }
    } catch (SQLException e) {
      throw new Database.DatabaseException(e);
    }
  }

  /** Creates the default cluster at first start (several managers may race: one wins). */
  public static void ensureDefault(Connection c) throws SQLException {
    if (byName(c, DEFAULT_NAME).isPresent()) {
      return;
    }
    try {
      create(c, DEFAULT_NAME, "created at first start", "{}", "{}", "{}", true);
    } catch (Database.DatabaseException e) {
      if (!e.uniqueViolation()) {
        throw e;
      }
    }
  }

  /** Replaces the given columns (null = keep) and bumps the configuration version. */
  public static Optional<ClusterRow> update(Connection c, long id, String bio, String config,
      String clientConfig, String scopes) throws SQLException {
    try (PreparedStatement s = c.prepareStatement("UPDATE scheduler_clusters SET "
        + "bio = COALESCE(?, bio), config = COALESCE(?, config), "
        + "client_config = COALESCE(?, client_config), scopes = COALESCE(?, scopes), "
        + "config_version = config_version + 1, updated_at = ? WHERE id = ?")) {
      s.setString(1, bio);
      s.setString(2, config);
      s.setString(3, clientConfig);
      s.setString(4, scopes);
      s.setLong(5, System.currentTimeMillis());
      s.setLong(6, id);
      if (s.executeUpdate() == 0) {
        return Optional.empty();
      }
    }
    return get(c, id);
  }

  /**
   * The cluster a component belongs to: the one it names, else the best scope match (see
   * {@link Scopes#score}), else the default.
   */
  public static ClusterRow clusterFor(Connection c, String named, String ip, String idc,
      String location) throws SQLException {
    if (named != null && !named.isEmpty()) {
      return byName(c, named).orElseThrow(() -> new UnknownClusterException(named));
    }
    ClusterRow best = null;
    double bestScore = 0;
    ClusterRow fallback = null;
    for (ClusterRow row : list(c)) {
      if (row.isDefault() && fallback == null) {
        fallback = row;
      }
      double score;
      try {
        score = Scopes.parse(row.scopes()).score(ip, idc, location);
      } catch (RuntimeException e) {
        score = 0;
      }
      if (score > bestScore) {
        best = row;
        bestScore = score;
      }
    }
    if (best != null) {
      return best;
    }
    if (fallback == null) {
      ensureDefault(c);
      return byName(c, DEFAULT_NAME).orElseThrow();
    }
    return fallback;
  }

  /** A component named a cluster that does not exist. */
  public static final class UnknownClusterException extends RuntimeException {
    public UnknownClusterException(String name) {
      super("scheduler cluster " + name + " does not exist");
    }
  }
}
