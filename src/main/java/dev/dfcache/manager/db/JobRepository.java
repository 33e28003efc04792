package dev.dfcache.manager.db;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Jobs: work the manager asks the schedulers to carry out (deleting a task from every holder),
 * with their state, a line of progress and a JSON result. The manager that created a job runs
 * it; a job still running when its manager stopped is failed by {@link #failStale}.
 */
public final class JobRepository {
  public static final String PENDING = "PENDING";
  public static final String RUNNING = "RUNNING";
  public static final String SUCCESS = "SUCCESS";
  public static final String FAILURE = "FAILURE";

  public record Job(long id, String type, String state, long clusterId, String args,
      String result, String progress, String userName, long createdAt, long updatedAt) {

    public boolean finished() {
      return state.equals(SUCCESS) || state.equals(FAILURE);
    }
  }

  private static final String COLUMNS = "id, type, state, cluster_id, args, result, progress, "
      + "user_name, created_at, updated_at";

  private JobRepository() {}

  public static Job create(Connection c, String type, long clusterId, String args,
      String userName) throws SQLException {
    long now = System.currentTimeMillis();
    try (PreparedStatement s = c.prepareStatement("INSERT INTO jobs (type, state, cluster_id, "
        + "args, result, progress, user_name, created_at, updated_at) "
        + "VALUES (?, ?, ?, ?, '{}', 'waiting to start', ?, ?, ?)",
        Statement.RETURN_GENERATED_KEYS)) {
      s.setString(1, type);
      s.setString(2, PENDING);
      s.setLong(3, clusterId);
      s.setString(4, args);
      s.setString(5, userName);
      s.setLong(6, now);
      s.setLong(7, now);
      s.executeUpdate();
      try (ResultSet k = s.getGeneratedKeys()) {
        k.next();
        return get(c, k.getLong(1)).orElseThrow();
      }
    }
  }

  /** Moves a job on: its state, its progress line, and its result (null = unchanged). */
  public static void update(Connection c, long id, String state, String progress, String result)
      throws SQLException {
    try (PreparedStatement s = c.prepareStatement("UPDATE jobs SET state = ?, progress = ?, "
        + "result = COALESCE(?, result), updated_at = ? WHERE id = ?")) {
      s.setString(1, state);
      s.setString(2, progress.length() > 1024 ? progress.substring(0, 1021) + "..." : progress);
      s.setString(3, result);
      s.setLong(4, System.currentTimeMillis());
      s.setLong(5, id);
      s.executeUpdate();
    }
  }

  public static Optional<Job> get(Connection c, long id) throws SQLException {
    try (PreparedStatement s = c.prepareStatement("SELECT " + COLUMNS
        + " FROM jobs WHERE id = ?")) {
      s.setLong(1, id);
      try (ResultSet r = s.executeQuery()) {
        return r.next() ? Optional.of(row(r)) : Optional.empty();
      }
    }
  }

  /** The newest first, at most {@code limit}. */
  public static List<Job> recent(Connection c, int limit) throws SQLException {
    try (PreparedStatement s = c.prepareStatement("SELECT " + COLUMNS
        + " FROM jobs ORDER BY id DESC LIMIT ?")) {
      s.setInt(1, limit);
      List<Job> out = new ArrayList<>();
      try (ResultSet r = s.executeQuery()) {
        while (r.next()) {
          out.add(row(r));
        }
      }
      return out;
    }
  }

  /**
   * Fails the jobs that stayed unfinished since {@code before}: their manager stopped while it
   * ran them (a job takes seconds). Returns how many.
   */
  public static int failStale(Connection c, long before) throws SQLException {
    try (PreparedStatement s = c.prepareStatement("UPDATE jobs SET state = ?, progress = "
        + "'the manager running it stopped before it finished', updated_at = ? "
        + "WHERE state IN (?, ?) AND updated_at < ?")) {
      s.setString(1, FAILURE);
      s.setLong(2, System.currentTimeMillis());
      s.setString(3, PENDING);
      s.setString(4, RUNNING);
      s.setLong(5, before);
      return s.executeUpdate();
    }
  }

  private static Job row(ResultSet r) throws SQLException {
    return new Job(r.getLong(1), r.getString(2), r.getString(3), r.getLong(4), r.getString(5),
        r.getString(6), r.getString(7), r.getString(8), r.getLong(9), r.getLong(10));
  }
}
