package dev.dfcache.manager.db;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/** The summaries components send with their keep-alives, kept for a bounded retention. */
public final class MetricRepository {
  /**
   * One keep-alive's summary. The byte, piece and call figures are counters since the
   * component started; tasks, peers and cache use are what it holds now.
   */
  public record Sample(long at, String kind, long componentId, long clusterId, long tasks,
      long peers, long bytesUploaded, long bytesDownloaded, long piecesFailed, long cacheUsed,
      long statCount, long statMicros, long exportCount, long exportMicros, long cacheFree) {}

  private static final String COLUMNS = "at, component_kind, component_id, cluster_id, tasks, "
      + "peers, bytes_uploaded, bytes_downloaded, pieces_failed, cache_used, stat_count, "
      + "stat_micros, export_count, export_micros, cache_free";

  private MetricRepository() {}

  public static void add(Connection c, Sample m) throws SQLException {
    try (PreparedStatement s = c.prepareStatement("INSERT INTO metric_samples (" + COLUMNS
        + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
      s.setLong(1, m.at());
      s.setString(2, m.kind());
      s.setLong(3, m.componentId());
      s.setLong(4, m.clusterId());
      s.setLong(5, m.tasks());
      s.setLong(6, m.peers());
      s.setLong(7, m.bytesUploaded());
      s.setLong(8, m.bytesDownloaded());
      s.setLong(9, m.piecesFailed());
      s.setLong(10, m.cacheUsed());
      s.setLong(11, m.statCount());
      s.setLong(12, m.statMicros());
      s.setLong(13, m.exportCount());
      s.setLong(14, m.exportMicros());
      s.setLong(15, m.cacheFree());
      s.executeUpdate();
    }
  }

  /** A cluster's samples since {@code since}, oldest first, at most {@code limit}. */
  public static List<Sample> ofCluster(Connection c, long clusterId, long since, int limit)
      throws SQLException {
    try (PreparedStatement s = c.prepareStatement("SELECT " + COLUMNS
        + " FROM metric_samples WHERE cluster_id = ? AND at >= ? ORDER BY at, id LIMIT ?")) {
      s.setLong(1, clusterId);
      s.setLong(2, since);
      s.setInt(3, limit);
      List<Sample> out = new ArrayList<>();
      try (ResultSet r = s.executeQuery()) {
        while (r.next()) {
          out.add(new Sample(r.getLong(1), r.getString(2), r.getLong(3), r.getLong(4),
              r.getLong(5), r.getLong(6), r.getLong(7), r.getLong(8), r.getLong(9),
              r.getLong(10), r.getLong(11), r.getLong(12), r.getLong(13), r.getLong(14),
              r.getLong(15)));
        }
      }
      return out;
    }
  }

  /** Drops samples older than {@code before}; returns how many. */
  public static int prune(Connection c, long before) throws SQLException {
    try (PreparedStatement s = c.prepareStatement("DELETE FROM metric_samples WHERE at < ?")) {
      s.setLong(1, before);
      return s.executeUpdate();
    }
  }
}
