package dev.dfcache.e2e;

import dev.dfcache.manager.PostgresServer;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/** {@link OverviewIT} on a real PostgreSQL server (Debian's package, started by the test). */
class OverviewPostgresIT extends OverviewIT {
  PostgresServer postgres;

  @BeforeEach
  void startPostgres() throws Exception {
    postgres = PostgresServer.start(LocalCluster.freePort());
  }

  @AfterEach
  void stopPostgres() throws Exception {
    if (postgres != null) {
      postgres.close();
    }
  }

  @Override
  List<String> databaseArgs() {
    return List.of("--db-url", postgres.jdbcUrl(), "--db-user", "postgres");
  }
}
