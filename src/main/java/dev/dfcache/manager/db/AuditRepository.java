package dev.dfcache.manager.db;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/** Who changed what, when: every write through the REST API leaves a row. */
public final class AuditRepository {
  public record Audit(long id, long at, String actor, String action, String target,
      String detail) {}

  private AuditRepository() {}

  public static void record(Connection c, String actor, String action, String target,
      String detail) throws SQLException {
    try (PreparedStatement s = c.prepareStatement(
        "INSERT INTO audits (at, actor, action, target, detail) VALUES (?, ?, ?, ?, ?)")) {
      s.setLong(1, System.currentTimeMillis());
      s.setString(2, actor);
      s.setString(3, action);
      s.setString(4, target);
      s.setString(5, detail);
      s.executeUpdate();
    }
  }

  /** The newest first, at most {@code limit}. */
  public static List<Audit> recent(Connection c, int limit) throws SQLException {
    try (PreparedStatement s = c.prepareStatement("SELECT id, at, actor, action, target, detail "
        + "FROM audits ORDER BY id DESC LIMIT ?")) {
      s.setInt(1, limit);
      List<Audit> out = new ArrayList<>();
      try (ResultSet r = s.executeQuery()) {
        while (r.next()) {
          out.add(new Audit(r.getLong(1), r.getLong(2), r.getString(3), r.getString(4),
              r.getString(5), r.getString(6)));
        }
      }
      return out;
    }
  }
}
