package dev.dfcache.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.dfcache.e2e.LocalCluster.Proc;
import dev.dfcache.manager.PostgresServer;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link ManagerIT} on a real PostgreSQL server (Debian's package, started by the test), and two
 * managers on one database: what is written through one is read through the other, and a
 * session signed in on one works on the other (no state outside the database).
 */
class ManagerPostgresIT extends ManagerIT {
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

  @Test
  void twoManagersShareOneDatabase() throws Exception {
    Proc first = startManager("first");
    Proc second = startManager("second");
    ManagerApi one = ManagerApi.of(first).signIn("root", PASSWORD);
    ManagerApi two = ManagerApi.of(second).signIn("root", PASSWORD);
    ManagerApi.Reply created = one.call("POST", "/api/v1/scheduler-clusters",
        "{\"name\": \"shared\", \"client_config\": {\"upload_rate_limit\": 1048576}}");
    assertEquals(201, created.status(), created.toString());
    long id = created.body().get("id").asLong();
    ManagerApi.Reply seen = two.get("/api/v1/scheduler-clusters/" + id);
    assertEquals(200, seen.status(), seen.toString());
    assertEquals(1048576, seen.body().get("client_config").get("upload_rate_limit").asLong());
    ManagerApi.Reply patched = two.call("PATCH", "/api/v1/scheduler-clusters/" + id,
        "{\"bio\": \"changed through the second\"}");
    assertEquals(200, patched.status(), patched.toString());
    assertEquals("changed through the second",
        one.get("/api/v1/scheduler-clusters/" + id).body().get("bio").asText());
    // a session signed in through one manager works through the other
    assertEquals(200, one.at(second.otherPort).get("/api/v1/peers").status());
    // one root user, made once although both started on an empty database
    assertEquals(1, count(one.get("/api/v1/users").body(), "root"));
  }

  static int count(com.fasterxml.jackson.databind.JsonNode body, String name) {
    int n = 0;
    for (var row : ManagerApi.rows(body)) {
      n += row.get("name").asText().equals(name) ? 1 : 0;
    }
    return n;
  }
}
