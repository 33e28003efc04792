package dev.dfcache.manager.rest;

import dev.dfcache.manager.PostgresServer;
import dev.dfcache.manager.db.Database;
import java.net.ServerSocket;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;

/** {@link RestApiTest}, every case, on a real PostgreSQL server (Debian's package). */
class RestApiPostgresTest extends RestApiTest {
  private PostgresServer postgres;

  @Override
  Database openDatabase(Path dir) throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    postgres = PostgresServer.start(port);
    return Database.open(postgres.jdbcUrl(), "postgres", "", 4);
  }

  @Override
  @AfterAll
  void stop() throws Exception {
    try {
      super.stop(); // the pool first, then its server
    } finally {
      if (postgres != null) {
        postgres.close();
      }
    }
  }
}
