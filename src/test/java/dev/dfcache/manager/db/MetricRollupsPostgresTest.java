package dev.dfcache.manager.db;

import dev.dfcache.manager.PostgresServer;
import java.net.ServerSocket;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;

/** {@link MetricRollupsTest}, every case, on a real PostgreSQL server (Debian's package). */
class MetricRollupsPostgresTest extends MetricRollupsTest {
  private PostgresServer postgres;

  @Override
  Database openDatabase(Path dir) throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    postgres = PostgresServer.start(port);
    return Database.open(postgres.jdbcUrl(), "postgres", "", 2);
  }

  @Override
  @AfterAll
  void close() throws Exception {
    try {
      super.close(); // the pool first, then its server
    } finally {
      if (postgres != null) {
        postgres.close();
      }
    }
  }
}
