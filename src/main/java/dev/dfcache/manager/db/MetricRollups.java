package dev.dfcache.manager.db;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * What the console's overview draws, computed by the database from the metric samples so that no
 * one fetches raw rows: the latest sample of each component, and a cluster's figures per minute.
 * The SQL (window functions, GROUP BY) is the same on PostgreSQL and on H2 in PostgreSQL mode; it
 * reads the samples of one cluster in a time range, which the index on (cluster_id, at) serves.
 *
 * <p>The samples carry counters since each component started. The increment of an interval is the
 * difference of two consecutive samples of one component, counted in the minute in which the
 * interval ends (its second sample). An interval in which any counter went down (the component
 * restarted) counts for nothing, as does a component's first sample in the range.
 */
public final class MetricRollups {
  public static final long MINUTE_MS = 60_000;
  /**
   * How far before the first minute a component's previous sample is looked for: the interval
   * that ends in the first minute starts there. Well over the sample interval (15 s by default),
   * and short: the console asks for the last two minutes every 5 s, and reads this much more.
   */
  static final long LOOKBACK_MS = 5 * MINUTE_MS;

  /** Consecutive samples of one component, oldest first (ties by insertion). */
  private static final String BY_COMPONENT =
      " OVER (PARTITION BY component_kind, component_id ORDER BY at, id)";
  /** The counters, as named in metric_samples. */
  private static final List<String> COUNTERS = List.of("bytes_uploaded", "bytes_downloaded",
      "pieces_failed", "stat_count", "stat_micros", "export_count", "export_micros");

  /**
   * A component's newest sample, with its upload and download rates (bytes/s) since the sample
   * before it; a rate is null when there is none in the range or a counter went down.
   */
  public record Latest(MetricRepository.Sample sample, Double uploadRate, Double downloadRate) {}

  /**
   * One minute of a cluster (only minutes with a sample): the components that sent a sample in
   * it, the tasks its peers held (each peer's highest of the minute, added), the counter
   * increments of the intervals that end in it, and the transfer rates (each component's
   * increments over the time its intervals cover, added: right for the minute still running
   * and for a component that reports seldom).
   */
  public record Minute(long minute, long schedulers, long peers, long tasks, long bytesUploaded,
      long bytesDownloaded, double uploadRate, double downloadRate, long piecesFailed,
      long statCount, long statMicros, long exportCount, long exportMicros) {}

  private MetricRollups() {}

  /** The minute {@code at} falls in (its start, epoch ms). */
  public static long minuteOf(long at) {
    return at - Math.floorMod(at, MINUTE_MS);
  }

  /**
   * The newest sample of each component of the cluster taken in [since, until], by kind and id.
   * One window function (the two newest of each component), the rate worked out here: a window
   * function costs H2 about as much as a scan of the range.
   */
  public static List<Latest> latest(Connection c, long clusterId, long since, long until)
      throws SQLException {
    String sql = "SELECT at, component_kind, component_id, cluster_id, tasks, peers, "
        + "bytes_uploaded, bytes_downloaded, pieces_failed, cache_used, stat_count, stat_micros, "
        + "export_count, export_micros, cache_free, newest FROM (SELECT m.*, ROW_NUMBER() OVER "
        + "(PARTITION BY component_kind, component_id ORDER BY at DESC, id DESC) AS newest "
        + "FROM metric_samples m WHERE cluster_id = ? AND at >= ? AND at <= ?) s "
        + "WHERE newest <= 2 ORDER BY component_kind, component_id, newest";
    try (PreparedStatement s = c.prepareStatement(sql)) {
      s.setLong(1, clusterId);
      s.setLong(2, since);
      s.setLong(3, until);
      List<Latest> out = new ArrayList<>();
      try (ResultSet r = s.executeQuery()) {
        MetricRepository.Sample newest = null;
        while (r.next()) {
          MetricRepository.Sample m = new MetricRepository.Sample(r.getLong(1), r.getString(2),
              r.getLong(3), r.getLong(4), r.getLong(5), r.getLong(6), r.getLong(7), r.getLong(8),
              r.getLong(9), r.getLong(10), r.getLong(11), r.getLong(12), r.getLong(13),
              r.getLong(14), r.getLong(15));
          if (r.getLong(16) == 1) {
            if (newest != null) {
              out.add(new Latest(newest, null, null)); // the one before had no second sample
            }
            newest = m;
          } else {
            out.add(withRates(newest, m));
            newest = null;
          }
        }
        if (newest != null) {
          out.add(new Latest(newest, null, null));
        }
      }
      return out;
    }
  }

  /** The newest sample with its rates since the one before (none across a restart). */
  private static Latest withRates(MetricRepository.Sample last, MetricRepository.Sample before) {
    long up = last.bytesUploaded() - before.bytesUploaded();
    long down = last.bytesDownloaded() - before.bytesDownloaded();
    if (last.at() <= before.at() || up < 0 || down < 0) {
      return new Latest(last, null, null);
    }
    double seconds = (last.at() - before.at()) / 1000.0;
    return new Latest(last, up / seconds, down / seconds);
  }

  /**
   * The cluster's minutes from the one {@code since} falls in up to {@code until} (exclusive),
   * oldest first; minutes without a sample are left out.
   */
  public static List<Minute> minutes(Connection c, long clusterId, long since, long until)
      throws SQLException {
    long from = minuteOf(since);
    StringBuilder deltas = new StringBuilder();
    StringBuilder valid = new StringBuilder("span > 0");
    StringBuilder perComponent = new StringBuilder();
    StringBuilder perMinute = new StringBuilder();
    for (String f : COUNTERS) {
      deltas.append(", ").append(f).append(" - LAG(").append(f).append(')').append(BY_COMPONENT)
          .append(" AS ").append(f);
      valid.append(" AND ").append(f).append(" >= 0");
      perComponent.append(", SUM(CASE WHEN ok = 1 THEN ").append(f).append(" ELSE 0 END) AS ")
          .append(f);
      perMinute.append(", SUM(").append(f).append(')');
    }
    // ("minute" is a word of H2's: the column is "bucket")
    // innermost: each sample's interval since the one before (null for the first); then
    // which intervals count; then per component and minute; then per minute
    String sql = "SELECT bucket, SUM(CASE WHEN component_kind = 'scheduler' THEN 1 ELSE 0 END), "
        + "SUM(CASE WHEN component_kind = 'peer' THEN 1 ELSE 0 END), "
        + "SUM(CASE WHEN component_kind = 'peer' THEN tasks ELSE 0 END)" + perMinute
        + ", SUM(CASE WHEN span > 0 THEN CAST(bytes_uploaded AS DOUBLE PRECISION) * 1000 / span"
        + " ELSE 0 END), SUM(CASE WHEN span > 0 THEN CAST(bytes_downloaded AS DOUBLE PRECISION)"
        + " * 1000 / span ELSE 0 END)"
        + " FROM (SELECT bucket, component_kind, component_id, MAX(tasks) AS tasks"
        + perComponent + ", SUM(CASE WHEN ok = 1 THEN span ELSE 0 END) AS span"
        + " FROM (SELECT *, CASE WHEN " + valid + " THEN 1 ELSE 0 END AS ok"
        + " FROM (SELECT component_kind, component_id, at, at - MOD(at, " + MINUTE_MS
        + ") AS bucket, tasks, at - LAG(at)" + BY_COMPONENT + " AS span" + deltas
        + " FROM metric_samples WHERE cluster_id = ? AND at >= ? AND at < ?) d"
        + " WHERE at >= ?) v GROUP BY bucket, component_kind, component_id) p"
        + " GROUP BY bucket ORDER BY bucket";
    try (PreparedStatement s = c.prepareStatement(sql)) {
      s.setLong(1, clusterId);
      s.setLong(2, from - LOOKBACK_MS);
      s.setLong(3, until);
      s.setLong(4, from);
      List<Minute> out = new ArrayList<>();
      try (ResultSet r = s.executeQuery()) {
        while (r.next()) {
          out.add(new Minute(r.getLong(1), r.getLong(2), r.getLong(3), r.getLong(4),
              r.getLong(5), r.getLong(6), r.getDouble(12), r.getDouble(13), r.getLong(7),
              r.getLong(8), r.getLong(9), r.getLong(10), r.getLong(11)));
        }
      }
      return out;
    }
  }
}
