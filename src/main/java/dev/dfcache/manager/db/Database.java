package dev.dfcache.manager.db;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.flywaydb.core.Flyway;

/**
 * The manager's database: a HikariCP pool, the schema brought up to date by Flyway at start, and
 * a small pool of threads where every query runs, so that no actor or HTTP thread ever waits on
 * JDBC. Several managers may share one PostgreSQL database: all state is in it.
 */
public final class Database implements AutoCloseable {
  /** JDBC work, given a connection in auto-commit mode. */
  @FunctionalInterface
  public interface Work<T> {
    T run(Connection c) throws SQLException;
  }

  private final HikariDataSource pool;
  private final ExecutorService queries;

  private Database(HikariDataSource pool, int threads) {
    this.pool = pool;
    this.queries = Executors.newFixedThreadPool(threads, r -> {
      Thread t = new Thread(r, "manager-db");
      t.setDaemon(true);
      return t;
    });
  }

  /** The embedded default: an H2 file under the data dir, in PostgreSQL mode. */
  public static String embeddedUrl(Path dataDir) {
    return "jdbc:h2:file:" + dataDir.toAbsolutePath().resolve("manager")
        + ";MODE=PostgreSQL;DATABASE_TO_LOWER=TRUE;DEFAULT_NULL_ORDERING=HIGH;AUTO_SERVER=FALSE";
  }

  /** Opens the pool and migrates the schema (Flyway takes a lock: managers may start at once). */
  public static Database open(String url, String user, String password, int poolSize) {
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl(url);
    if (user != null && !user.isEmpty()) {
      config.setUsername(user);
    }
    if (password != null && !password.isEmpty()) {
      config.setPassword(password);
    }
    config.setMaximumPoolSize(poolSize);
    config.setPoolName("manager-db");
    config.setConnectionTimeout(10_000);
    config.setInitializationFailTimeout(30_000);
    HikariDataSource pool = new HikariDataSource(config);
    try {
      Flyway.configure()
          .dataSource(pool)
          .locations("classpath:db/manager")
          .load()
          .migrate();
    } catch (RuntimeException e) {
      pool.close();
      throw e;
    }
    return new Database(pool, poolSize);
  }

  /** Runs {@code work} on the query threads. */
  public <T> CompletionStage<T> query(Work<T> work) {
    return CompletableFuture.supplyAsync(() -> {
      try (Connection c = pool.getConnection()) {
        return work.run(c);
      } catch (SQLException e) {
        throw new DatabaseException(e);
      }
    }, queries);
  }

  /** Runs {@code work} in one transaction on the query threads. */
  public <T> CompletionStage<T> transaction(Work<T> work) {
    return query(c -> {
      c.setAutoCommit(false);
      try {
        T result = work.run(c);
        c.commit();
        return result;
      } catch (SQLException | RuntimeException e) {
        c.rollback();
        throw e;
      } finally {
        c.setAutoCommit(true);
      }
    });
  }

  /** The same work, here and now (start-up and tests only). */
  public <T> T now(Work<T> work) {
    try (Connection c = pool.getConnection()) {
      return work.run(c);
    } catch (SQLException e) {
      throw new DatabaseException(e);
    }
  }

  public boolean isPostgres() {
    return pool.getJdbcUrl().startsWith("jdbc:postgresql:");
  }

  @Override
  public void close() {
    queries.shutdown();
    pool.close();
  }

  /** A failed query; {@link #uniqueViolation} tells a duplicate name from other failures. */
  public static final class DatabaseException extends RuntimeException {
    public DatabaseException(SQLException cause) {
      super(cause.getMessage(), cause);
    }

    /** SQLSTATE 23505 (both PostgreSQL and H2). */
    public boolean uniqueViolation() {
      return getCause() instanceof SQLException s && "23505".equals(s.getSQLState());
    }
  }
}
