package dev.dfcache.manager.db;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Users (root or read-only) and their bearer tokens: sign-in sessions and personal tokens. */
public final class UserRepository {
  public static final String ADMIN = "root";

  public record User(long id, String name, String role) {
    public boolean mayWrite() {
      return role.equals("root");
    }
  }

  public record TokenRow(long id, long userId, String kind, String name, String scopes,
      long expiresAt, long createdAt) {}

  private UserRepository() {}

  /** Creates the admin user if there is none; returns true when it did. */
  public static boolean ensureAdmin(Connection c, char[] password) throws SQLException {
    if (byName(c, ADMIN).isPresent()) {
      return false;
    }
    try {
      create(c, ADMIN, password, "root");
      return true;
    } catch (Database.DatabaseException e) {
      if (e.uniqueViolation()) {
        return false; // another manager made it just now
      }
      throw e;
    }
  }

  public static User create(Connection c, String name, char[] password, String role)
      throws SQLException {
    return createHashed(c, name, Passwords.hash(password), role);
  }

  /** A user whose password was hashed already (off the database threads: PBKDF2 is slow). */
  public static User createHashed(Connection c, String name, String passwordHash, String role)
      throws SQLException {
    try (PreparedStatement s = c.prepareStatement("INSERT INTO users (name, password_hash, role, "
        + "created_at) VALUES (?, ?, ?, ?)", Statement.RETURN_GENERATED_KEYS)) {
      s.setString(1, name);
      s.setString(2, passwordHash);
      s.setString(3, role);
      s.setLong(4, System.currentTimeMillis());
      s.executeUpdate();
      try (ResultSet k = s.getGeneratedKeys()) {
        k.next();
        return new User(k.getLong(1), name, role);
      }
    } catch (SQLException e) {
      throw new Database.DatabaseException(e);
    }
  }

  public static Optional<User> byName(Connection c, String name) throws SQLException {
    try (PreparedStatement s = c.prepareStatement(
        "SELECT id, name, role FROM users WHERE name = ?")) {
      s.setString(1, name);
      try (ResultSet r = s.executeQuery()) {
        return r.next() ? Optional.of(new User(r.getLong(1), r.getString(2), r.getString(3)))
            : Optional.empty();
      }
    }
  }

  public static List<User> list(Connection c) throws SQLException {
    try (PreparedStatement s = c.prepareStatement("SELECT id, name, role FROM users ORDER BY id");
         ResultSet r = s.executeQuery()) {
      List<User> out = new ArrayList<>();
      while (r.next()) {
        out.add(new User(r.getLong(1), r.getString(2), r.getString(3)));
      }
      return out;
    }
  }

  /** A user with the stored hash of their password, to check a sign-in against. */
  public record Credentials(User user, String passwordHash) {}

  /** The user named so and their password hash; no hashing here (it runs elsewhere). */
  public static Optional<Credentials> credentials(Connection c, String name) throws SQLException {
    try (PreparedStatement s = c.prepareStatement(
        "SELECT id, name, role, password_hash FROM users WHERE name = ?")) {
      s.setString(1, name);
      try (ResultSet r = s.executeQuery()) {
        return r.next() ? Optional.of(new Credentials(
            new User(r.getLong(1), r.getString(2), r.getString(3)), r.getString(4)))
            : Optional.empty();
      }
    }
  }

  /** The user if the password is right (a wrong name costs the same as a wrong password). */
  public static Optional<User> verify(Connection c, String name, char[] password)
      throws SQLException {
    try (PreparedStatement s = c.prepareStatement(
        "SELECT id, name, role, password_hash FROM users WHERE name = ?")) {
      s.setString(1, name);
      try (ResultSet r = s.executeQuery()) {
        if (!r.next()) {
          Passwords.matches(password, Passwords.DUMMY_HASH);
          return Optional.empty();
        }
        return Passwords.matches(password, r.getString(4))
            ? Optional.of(new User(r.getLong(1), r.getString(2), r.getString(3)))
            : Optional.empty();
      }
    }
  }

  /** Stores a token's hash; the token itself is returned to the user once and never stored. */
  public static TokenRow addToken(Connection c, long userId, String kind, String name,
      String scopes, String tokenHash, long expiresAt) throws SQLException {
    long now = System.currentTimeMillis();
    try (PreparedStatement s = c.prepareStatement("INSERT INTO tokens (user_id, kind, name, "
        + "token_hash, scopes, expires_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        Statement.RETURN_GENERATED_KEYS)) {
      s.setLong(1, userId);
      s.setString(2, kind);
      s.setString(3, name);
      s.setString(4, tokenHash);
      s.setString(5, scopes);
      s.setLong(6, expiresAt);
      s.setLong(7, now);
      s.executeUpdate();
      try (ResultSet k = s.getGeneratedKeys()) {
        k.next();
        return new TokenRow(k.getLong(1), userId, kind, name, scopes, expiresAt, now);
      }
    }
  }

  /** The user a bearer token stands for, if it exists and has not expired. */
  public static Optional<User> userOfToken(Connection c, String tokenHash, long now)
      throws SQLException {
    try (PreparedStatement s = c.prepareStatement("SELECT u.id, u.name, u.role FROM tokens t "
        + "JOIN users u ON u.id = t.user_id WHERE t.token_hash = ? AND t.expires_at > ?")) {
      s.setString(1, tokenHash);
      s.setLong(2, now);
      try (ResultSet r = s.executeQuery()) {
        return r.next() ? Optional.of(new User(r.getLong(1), r.getString(2), r.getString(3)))
            : Optional.empty();
      }
    }
  }

  public static List<TokenRow> personalTokens(Connection c, long userId) throws SQLException {
    try (PreparedStatement s = c.prepareStatement("SELECT id, user_id, kind, name, scopes, "
        + "expires_at, created_at FROM tokens WHERE user_id = ? AND kind = 'personal' "
        + "ORDER BY id")) {
      s.setLong(1, userId);
      List<TokenRow> out = new ArrayList<>();
      try (ResultSet r = s.executeQuery()) {
        while (r.next()) {
          out.add(new TokenRow(r.getLong(1), r.getLong(2), r.getString(3), r.getString(4),
              r.getString(5), r.getLong(6), r.getLong(7)));
        }
      }
      return out;
    }
  }

  /** Deletes one of the user's personal tokens; false when it has none of that id. */
  public static boolean deletePersonalToken(Connection c, long userId, long id)
      throws SQLException {
    try (PreparedStatement s = c.prepareStatement(
        "DELETE FROM tokens WHERE id = ? AND user_id = ? AND kind = 'personal'")) {
      s.setLong(1, id);
      s.setLong(2, userId);
      return s.executeUpdate() > 0;
    }
  }

  /** Ends a sign-in session (its token stops working at once); false when it was none. */
  public static boolean deleteSession(Connection c, String tokenHash) throws SQLException {
    try (PreparedStatement s = c.prepareStatement(
        "DELETE FROM tokens WHERE token_hash = ? AND kind = 'session'")) {
      s.setString(1, tokenHash);
      return s.executeUpdate() > 0;
    }
  }

  /** Drops sessions and tokens that expired (run now and then). */
  public static int dropExpiredTokens(Connection c, long now) throws SQLException {
    try (PreparedStatement s = c.prepareStatement("DELETE FROM tokens WHERE expires_at <= ?")) {
      s.setLong(1, now);
      return s.executeUpdate();
    }
  }
}
