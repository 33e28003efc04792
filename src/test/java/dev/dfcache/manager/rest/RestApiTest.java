package dev.dfcache.manager.rest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dfcache.manager.db.ClusterRepository;
import dev.dfcache.manager.db.ComponentRepository;
import dev.dfcache.manager.db.Database;
import dev.dfcache.manager.db.MetricRepository;
import dev.dfcache.manager.db.Passwords;
import dev.dfcache.manager.db.UserRepository;
import dev.dfcache.manager.fleet.SchedulerFleet;
import dev.dfcache.manager.jobs.JobRunner;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.stream.Materializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The REST API over a real H2 database and a real pekko-http server ({@link RestApiPostgresTest}
 * runs the same on a real PostgreSQL server).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RestApiTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String ADMIN_PASSWORD = "admin-password-1";

  private Database db;
  private ActorSystem system;
  private ServerBinding binding;
  private String base;
  private final HttpClient client = HttpClient.newBuilder()
      .version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
  private String root;
  private String readonly;
  private long defaultClusterId;
  private SchedulerFleet fleet;

  record Reply(int status, JsonNode body, HttpResponse<String> raw) {
    String message() {
      return body.path("message").asText();
    }
  }

  @BeforeAll
  void start(@TempDir Path dir) throws Exception {
    db = openDatabase(dir);
    db.now(c -> UserRepository.ensureAdmin(c, ADMIN_PASSWORD.toCharArray()));
    db.now(c -> {
      ClusterRepository.ensureDefault(c);
      return null;
    });
    db.now(c -> UserRepository.create(c, "viewer", "viewer-password".toCharArray(), "readonly"));
    defaultClusterId = db.now(c -> ClusterRepository.byName(c, "default")).orElseThrow().id();
    system = ActorSystem.create("rest-api-test");
    // no scheduler runs here: the task views and jobs meet a cluster without one (the
    // end-to-end tests, ConsoleIT and ManagerIT, have real schedulers)
    fleet = new SchedulerFleet(db, null);
    RestApi api = new RestApi(db, Duration.ofHours(1), fleet, new JobRunner(db, fleet),
        Materializer.matFromSystem(system));
    binding = Http.get(system).newServerAt("127.0.0.1", 0).bind(api::handle)
        .toCompletableFuture().get(20, TimeUnit.SECONDS);
    base = "http://127.0.0.1:" + binding.localAddress().getPort();
    root = signin("root", ADMIN_PASSWORD);
    readonly = signin("viewer", "viewer-password");
  }

  /** The database under test: an embedded H2 file in {@code dir}. */
  Database openDatabase(Path dir) throws Exception {
    return Database.open(Database.embeddedUrl(dir), "", "", 4);
  }

  @AfterAll
  void stop() throws Exception {
    if (binding != null) {
      binding.unbind().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
    if (system != null) {
      system.terminate();
      system.getWhenTerminated().toCompletableFuture().get(20, TimeUnit.SECONDS);
    }
    if (fleet != null) {
      fleet.close();
    }
    if (db != null) {
      db.close();
    }
  }

  // ---- helpers

  private Reply call(String method, String path, String token, String body) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path))
        .timeout(Duration.ofSeconds(20))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(body));
    if (body != null) {
      b.header("Content-Type", "application/json");
    }
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    HttpResponse<String> r = client.send(b.build(), HttpResponse.BodyHandlers.ofString());
    JsonNode json = r.body().isEmpty() ? JSON.nullNode() : JSON.readTree(r.body());
    return new Reply(r.statusCode(), json, r);
  }

  private String signin(String name, String password) throws Exception {
    Reply r = call("POST", "/api/v1/users/signin", null,
        JSON.createObjectNode().put("name", name).put("password", password).toString());
    assertEquals(200, r.status(), r.body().toString());
    return r.body().get("token").asText();
  }

  private JsonNode createCluster(String body) throws Exception {
    Reply r = call("POST", "/api/v1/scheduler-clusters", root, body);
    assertEquals(201, r.status(), r.body().toString());
    assertEquals("/api/v1/scheduler-clusters/" + r.body().get("id").asLong(),
        URI.create(r.raw().headers().firstValue("Location").orElseThrow()).getPath());
    return r.body();
  }

  private int auditCount() throws Exception {
    return call("GET", "/api/v1/audits?limit=1000", root, null).body().size();
  }

  private void assertUnauthorized(Reply r) {
    assertEquals(401, r.status(), r.body().toString());
    assertFalse(r.message().isEmpty());
    assertTrue(r.raw().headers().firstValue("WWW-Authenticate").orElse("").startsWith("Bearer"));
  }

  // ---- sign-in and tokens

  @Test
  void signinGivesASessionTokenAndRefusesWrongNameOrPasswordAlike() throws Exception {
    long before = System.currentTimeMillis();
    Reply ok = call("POST", "/api/v1/users/signin", null,
        "{\"name\":\"root\",\"password\":\"" + ADMIN_PASSWORD + "\"}");
    assertEquals(200, ok.status());
    assertTrue(ok.body().get("token").asText().length() > 20);
    long expires = ok.body().get("expires_at").asLong();
    assertTrue(expires >= before + 3_600_000 - 1000 && expires <= before + 3_700_000, ok.body()
        .toString());
    assertEquals(200, call("GET", "/api/v1/scheduler-clusters", ok.body().get("token").asText(),
        null).status());
    assertEquals("root", ok.body().get("role").asText(), "the console hides edits by role");
    Reply viewer = call("POST", "/api/v1/users/signin", null,
        "{\"name\":\"viewer\",\"password\":\"viewer-password\"}");
    assertEquals("readonly", viewer.body().get("role").asText(), viewer.body().toString());

    Reply wrongPassword = call("POST", "/api/v1/users/signin", null,
        "{\"name\":\"root\",\"password\":\"nope-nope\"}");
    Reply unknownUser = call("POST", "/api/v1/users/signin", null,
        "{\"name\":\"nobody\",\"password\":\"" + ADMIN_PASSWORD + "\"}");
    assertEquals(401, wrongPassword.status());
    assertEquals(401, unknownUser.status());
    assertEquals("wrong name or password", wrongPassword.message());
    assertEquals(wrongPassword.body(), unknownUser.body());
  }

  @Test
  void repeatedWrongSigninsAreAnsweredTooManyRequestsWithRetryAfter() throws Exception {
    String wrong = "{\"name\":\"guessed\",\"password\":\"wrong-guess\"}";
    for (int i = 0; i < 5; i++) {
      assertEquals(401, call("POST", "/api/v1/users/signin", null, wrong).status());
    }
    Reply throttled = call("POST", "/api/v1/users/signin", null, wrong);
    assertEquals(429, throttled.status(), throttled.body().toString());
    long retryAfter = Long.parseLong(throttled.raw().headers().firstValue("Retry-After")
        .orElseThrow());
    assertTrue(retryAfter >= 1 && retryAfter <= 300, "Retry-After " + retryAfter);
    assertTrue(throttled.message().contains("too many failed sign-ins for user guessed"),
        throttled.message());
    // another user is not held up by it
    assertEquals(200, call("POST", "/api/v1/users/signin", null,
        "{\"name\":\"viewer\",\"password\":\"viewer-password\"}").status());
  }

  @Test
  void requestsWithoutAValidTokenAreRefused() throws Exception {
    assertUnauthorized(call("GET", "/api/v1/scheduler-clusters", null, null));
    assertUnauthorized(call("GET", "/api/v1/scheduler-clusters", "garbage-token", null));
    // an expired session
    String expired = Passwords.newToken("dfc_session_");
    long rootId = db.now(c -> UserRepository.byName(c, "root")).orElseThrow().id();
    db.now(c -> UserRepository.addToken(c, rootId, "session", "", "",
        Passwords.tokenHash(expired), System.currentTimeMillis() - 1));
    assertUnauthorized(call("GET", "/api/v1/scheduler-clusters", expired, null));
    // a write without a token writes nothing
    int audits = auditCount();
    assertUnauthorized(call("POST", "/api/v1/scheduler-clusters", null, "{\"name\":\"anon\"}"));
    assertEquals(audits, auditCount());
  }

  @Test
  void personalTokensWorkUntilDeleted() throws Exception {
    Reply created = call("POST", "/api/v1/personal-access-tokens", root,
        "{\"name\":\"ci\",\"expires_in_seconds\":3600,\"scopes\":\"clusters\"}");
    assertEquals(201, created.status(), created.body().toString());
    String pat = created.body().get("token").asText();
    long id = created.body().get("id").asLong();
    assertTrue(pat.startsWith("dfc_pat_"));
    assertEquals(200, call("GET", "/api/v1/scheduler-clusters", pat, null).status());

    Reply list = call("GET", "/api/v1/personal-access-tokens", pat, null);
    assertEquals(200, list.status());
    boolean listed = false;
    for (JsonNode t : list.body()) {
      assertFalse(t.has("token"), "the token value is never listed");
      listed |= t.get("id").asLong() == id && t.get("name").asText().equals("ci");
    }
    assertTrue(listed);

    // someone else's token is not found, and stays
    assertEquals(404, call("DELETE", "/api/v1/personal-access-tokens/" + id, readonly, null)
        .status());
    assertEquals(200, call("GET", "/api/v1/peers", pat, null).status());

    assertEquals(204, call("DELETE", "/api/v1/personal-access-tokens/" + id, root, null)
        .status());
    assertUnauthorized(call("GET", "/api/v1/scheduler-clusters", pat, null));
    assertEquals(404, call("DELETE", "/api/v1/personal-access-tokens/" + id, root, null)
        .status());

    assertEquals(400, call("POST", "/api/v1/personal-access-tokens", root,
        "{\"name\":\"long\",\"expires_in_seconds\":99999999999}").status());
    assertEquals(400, call("POST", "/api/v1/personal-access-tokens", root,
        "{\"name\":\"x\",\"expires_in_seconds\":\"soon\"}").status());
  }

  // ---- roles

  @Test
  void readonlyUsersMayReadAndManageTheirTokensButNotWrite() throws Exception {
    JsonNode c = createCluster("{\"name\":\"ro-target\"}");
    String path = "/api/v1/scheduler-clusters/" + c.get("id").asLong();
    int audits = auditCount();
    Reply patch = call("PATCH", path, readonly, "{\"bio\":\"changed\"}");
    assertEquals(403, patch.status());
    assertTrue(patch.message().startsWith("read-only user"), patch.message());
    assertEquals(403, call("POST", "/api/v1/scheduler-clusters", readonly,
        "{\"name\":\"ro-made\"}").status());
    assertEquals(403, call("POST", "/api/v1/users", readonly,
        "{\"name\":\"x\",\"password\":\"password-x\",\"role\":\"root\"}").status());
    assertEquals(audits, auditCount());

    Reply after = call("GET", path, readonly, null);
    assertEquals(200, after.status());
    assertEquals(c, after.body(), "nothing changed");
    assertEquals(200, call("GET", "/api/v1/users", readonly, null).status());
    assertEquals(200, call("GET", "/api/v1/audits", readonly, null).status());

    Reply own = call("POST", "/api/v1/personal-access-tokens", readonly, "{\"name\":\"mine\"}");
    assertEquals(201, own.status(), own.body().toString());
    long days = (own.body().get("expires_at").asLong() - System.currentTimeMillis()) / 86_400_000;
    assertEquals(29, days, "30 days by default");
    assertEquals(204, call("DELETE", "/api/v1/personal-access-tokens/"
        + own.body().get("id").asLong(), readonly, null).status());
  }

  // ---- clusters

  @Test
  void clustersAreCreatedListedReadAndPatchedByMerging() throws Exception {
    JsonNode c = createCluster("{\"name\":\"east-1\",\"bio\":\"east\","
        + "\"config\":{\"candidate_parent_limit\":4},"
        + "\"client_config\":{\"upload_rate_limit\":1000,\"load_limit\":50},"
        + "\"scopes\":{\"idc\":\"idc-e\",\"cidrs\":[\"10.0.0.0/8\"]}}");
    long id = c.get("id").asLong();
    assertEquals("east-1", c.get("name").asText());
    assertEquals(4, c.get("config").get("candidate_parent_limit").asInt());
    assertEquals(1, c.get("config_version").asLong());
    assertFalse(c.get("is_default").asBoolean());
    assertTrue(c.get("created_at").asLong() > 0);

    Reply list = call("GET", "/api/v1/scheduler-clusters", root, null);
    assertEquals(200, list.status());
    boolean sawDefault = false;
    boolean sawNew = false;
    for (JsonNode n : list.body()) {
      sawDefault |= n.get("id").asLong() == defaultClusterId && n.get("is_default").asBoolean();
      sawNew |= n.get("id").asLong() == id;
    }
    assertTrue(sawDefault && sawNew, list.body().toString());
    assertEquals(c, call("GET", "/api/v1/scheduler-clusters/" + id, root, null).body());

    Reply p = call("PATCH", "/api/v1/scheduler-clusters/" + id, root,
        "{\"client_config\":{\"download_rate_limit\":1048576,\"load_limit\":null}}");
    assertEquals(200, p.status(), p.body().toString());
    JsonNode cc = p.body().get("client_config");
    assertEquals(1048576, cc.get("download_rate_limit").asLong());
    assertEquals(1000, cc.get("upload_rate_limit").asLong(), "other keys are kept");
    assertFalse(cc.has("load_limit"), "a key set to null is removed");
    assertEquals(c.get("config"), p.body().get("config"), "objects not given are unchanged");
    assertEquals(c.get("scopes"), p.body().get("scopes"));
    assertEquals("east", p.body().get("bio").asText());
    assertEquals(2, p.body().get("config_version").asLong());

    Reply p2 = call("PATCH", "/api/v1/scheduler-clusters/" + id, root, "{\"bio\":\"renamed\"}");
    assertEquals("renamed", p2.body().get("bio").asText());
    assertEquals(3, p2.body().get("config_version").asLong());
    assertEquals(cc, p2.body().get("client_config"));
    assertEquals(p2.body(), call("GET", "/api/v1/scheduler-clusters/" + id, root, null).body());

    assertEquals(404, call("PATCH", "/api/v1/scheduler-clusters/999999", root,
        "{\"bio\":\"x\"}").status());
    assertEquals(404, call("GET", "/api/v1/scheduler-clusters/999999", root, null).status());
    assertEquals(400, call("GET", "/api/v1/scheduler-clusters/abc", root, null).status());
    assertEquals(400, call("GET", "/api/v1/scheduler-clusters/-3", root, null).status());
  }

  @Test
  void badBodiesAreRefusedAndWriteNothing() throws Exception {
    JsonNode c = createCluster("{\"name\":\"bad-bodies\",\"client_config\":{\"load_limit\":5}}");
    String path = "/api/v1/scheduler-clusters/" + c.get("id").asLong();
    int audits = auditCount();
    int clusters = call("GET", "/api/v1/scheduler-clusters", root, null).body().size();

    Reply malformed = call("PATCH", path, root, "{\"bio\": ");
    assertEquals(400, malformed.status());
    assertTrue(malformed.message().startsWith("malformed JSON"), malformed.message());
    assertEquals(400, call("POST", "/api/v1/scheduler-clusters", root, "{\"name\":\"a\"} x")
        .status());
    Reply array = call("PATCH", path, root, "[1, 2]");
    assertEquals(400, array.status());
    assertTrue(array.message().contains("object"), array.message());
    assertEquals(400, call("PATCH", path, root, "").status());
    Reply unknownField = call("PATCH", path, root, "{\"bio\":\"x\",\"colour\":\"red\"}");
    assertEquals(400, unknownField.status());
    assertTrue(unknownField.message().contains("colour"), unknownField.message());
    Reply unknownKey = call("PATCH", path, root,
        "{\"bio\":\"x\",\"client_config\":{\"download_rate_limt\":5}}");
    assertEquals(400, unknownKey.status());
    assertTrue(unknownKey.message().contains("download_rate_limt"), unknownKey.message());
    Reply nullTypo = call("PATCH", path, root, "{\"config\":{\"candidate_parent_limt\":null}}");
    assertEquals(400, nullTypo.status());
    assertTrue(nullTypo.message().contains("candidate_parent_limt"), nullTypo.message());
    Reply badValue = call("PATCH", path, root,
        "{\"client_config\":{\"upload_rate_limit\":\"fast\"}}");
    assertEquals(400, badValue.status());
    assertTrue(badValue.message().contains("upload_rate_limit"), badValue.message());
    // valid alone, invalid once merged: low watermark above the stored high one
    assertEquals(200, call("PATCH", path, root,
        "{\"client_config\":{\"gc_high_watermark\":0.8}}").status());
    audits++;
    JsonNode before = call("GET", path, root, null).body();
    Reply merged = call("PATCH", path, root, "{\"client_config\":{\"gc_low_watermark\":0.9}}");
    assertEquals(400, merged.status());
    assertTrue(merged.message().contains("gc_low_watermark"), merged.message());
    assertEquals(400, call("PATCH", path, root, "{\"bio\":5}").status());
    assertEquals(400, call("PATCH", path, root, "{\"config\":[]}").status());
    assertEquals(400, call("PATCH", path, root, "{\"bio\":\"a\",\"bio\":\"b\"}").status());
    assertEquals(400, call("PATCH", path, root, "{\"scopes\":{\"cidrs\":[\"nope\"]}}").status());
    assertEquals(400, call("POST", "/api/v1/scheduler-clusters", root,
        "{\"name\":\"typo\",\"config\":{\"candidate_parents\":3}}").status());
    assertEquals(400, call("POST", "/api/v1/scheduler-clusters", root, "{\"bio\":\"no name\"}")
        .status());

    assertEquals(before, call("GET", path, root, null).body(), "nothing written");
    assertEquals(audits, auditCount());
    assertEquals(clusters, call("GET", "/api/v1/scheduler-clusters", root, null).body().size());
  }

  @Test
  void duplicateNamesConflict() throws Exception {
    createCluster("{\"name\":\"twin\"}");
    int audits = auditCount();
    Reply r = call("POST", "/api/v1/scheduler-clusters", root, "{\"name\":\"twin\"}");
    assertEquals(409, r.status());
    assertTrue(r.message().contains("twin"), r.message());
    assertEquals(409, call("POST", "/api/v1/users", root,
        "{\"name\":\"viewer\",\"password\":\"password-2\",\"role\":\"readonly\"}").status());
    assertEquals(audits, auditCount());
  }

  @Test
  void sqlInInputIsRefusedByTheNameRuleOrStoredVerbatim() throws Exception {
    Reply r = call("POST", "/api/v1/scheduler-clusters", root,
        JSON.createObjectNode().put("name", "x'); DROP TABLE users; --").toString());
    assertEquals(400, r.status());
    assertTrue(r.message().contains("name"), r.message());
    String bio = "'; DROP TABLE scheduler_clusters; -- \" \\ ünïcode";
    JsonNode c = createCluster(JSON.createObjectNode().put("name", "sql-bio").put("bio", bio)
        .toString());
    assertEquals(bio, c.get("bio").asText());
    assertEquals(bio, call("GET", "/api/v1/scheduler-clusters/" + c.get("id").asLong(), root,
        null).body().get("bio").asText());
    assertEquals(200, call("GET", "/api/v1/users", root, null).status(), "users still there");
    assertEquals(400, call("GET", "/api/v1/schedulers?scheduler_cluster_id=1%20OR%201=1", root,
        null).status());
  }

  // ---- components and metrics

  @Test
  void schedulersAndPeersShowTheirLeaseState() throws Exception {
    long cluster = createCluster("{\"name\":\"components\"}").get("id").asLong();
    db.now(c -> ComponentRepository.upsertScheduler(c, new ComponentRepository.Host("", "s-up",
        "10.1.0.1", 8002, 0, "idc1", "loc1", "v1"), cluster, 60_000));
    db.now(c -> ComponentRepository.upsertScheduler(c, new ComponentRepository.Host("", "s-down",
        "10.1.0.2", 8002, 0, "", "", "v1"), cluster, 0));
    db.now(c -> ComponentRepository.upsertPeer(c, new ComponentRepository.Host("peer-1", "p1",
        "10.1.0.3", 65000, 65002, "", "", "v1"), cluster, 60_000, 1000, 10));
    db.now(c -> ComponentRepository.upsertPeer(c, new ComponentRepository.Host("peer-2", "p2",
        "10.1.0.4", 65000, 65002, "", "", "v1"), cluster, 0, 1000, 10));

    Reply s = call("GET", "/api/v1/schedulers?scheduler_cluster_id=" + cluster, root, null);
    assertEquals(200, s.status());
    assertEquals(2, s.body().size());
    JsonNode up = s.body().get(0);
    assertEquals("s-up", up.get("host_name").asText());
    assertEquals("10.1.0.1", up.get("ip").asText());
    assertEquals(8002, up.get("port").asInt());
    assertEquals(cluster, up.get("scheduler_cluster_id").asLong());
    assertEquals("active", up.get("state").asText());
    assertTrue(up.get("last_keep_alive_at").asLong() > 0);
    assertEquals("inactive", s.body().get(1).get("state").asText());
    assertEquals(0, up.get("config_version").asLong(), "no version reported yet");

    // a keep-alive that reports the configuration version it runs with, and when it changed
    long before = System.currentTimeMillis();
    db.now(c -> ComponentRepository.renewScheduler(c, "10.1.0.1", 8002, 60_000, 7));
    JsonNode seven = call("GET", "/api/v1/schedulers?scheduler_cluster_id=" + cluster, root,
        null).body().get(0);
    assertEquals(7, seven.get("config_version").asLong());
    long appliedAt = seven.get("config_applied_at").asLong();
    assertTrue(appliedAt >= before, seven.toString());
    Thread.sleep(5);
    db.now(c -> ComponentRepository.renewScheduler(c, "10.1.0.1", 8002, 60_000, 7));
    db.now(c -> ComponentRepository.renewScheduler(c, "10.1.0.1", 8002, 60_000, 0));
    JsonNode same = call("GET", "/api/v1/schedulers?scheduler_cluster_id=" + cluster, root,
        null).body().get(0);
    assertEquals(7, same.get("config_version").asLong(), "0 = not reported, kept");
    assertEquals(appliedAt, same.get("config_applied_at").asLong(), "unchanged version");
    db.now(c -> ComponentRepository.renewPeer(c, "peer-1", 60_000, 10, 8));

    Reply p = call("GET", "/api/v1/peers?scheduler_cluster_id=" + cluster, readonly, null);
    assertEquals(200, p.status());
    assertEquals(2, p.body().size());
    JsonNode peer = p.body().get(0);
    assertEquals("peer-1", peer.get("host_id").asText());
    assertEquals(65002, peer.get("upload_port").asInt());
    assertEquals(1000, peer.get("cache_capacity").asLong());
    assertEquals(10, peer.get("cache_used").asLong());
    assertEquals("active", peer.get("state").asText());
    assertEquals(8, peer.get("config_version").asLong());
    assertTrue(peer.get("config_applied_at").asLong() >= before);
    assertEquals("inactive", p.body().get(1).get("state").asText());

    assertTrue(call("GET", "/api/v1/schedulers", root, null).body().size() >= 2);
    assertEquals(0, call("GET", "/api/v1/peers?scheduler_cluster_id=999999", root, null)
        .body().size());
    assertEquals(400, call("GET", "/api/v1/peers?scheduler_cluster_id=x", root, null).status());
  }

  @Test
  void signoutEndsTheSessionOnly() throws Exception {
    String session = signin("root", ADMIN_PASSWORD);
    assertEquals(200, call("GET", "/api/v1/peers", session, null).status());
    assertEquals(204, call("POST", "/api/v1/users/signout", session, null).status());
    assertUnauthorized(call("GET", "/api/v1/peers", session, null));
    assertUnauthorized(call("POST", "/api/v1/users/signout", session, null));
    Reply pat = call("POST", "/api/v1/personal-access-tokens", root, "{\"name\":\"keep\"}");
    String token = pat.body().get("token").asText();
    Reply refused = call("POST", "/api/v1/users/signout", token, null);
    assertEquals(400, refused.status(), refused.body().toString());
    assertEquals(200, call("GET", "/api/v1/peers", token, null).status(), "token still works");
    String viewer = signin("viewer", "viewer-password");
    assertEquals(204, call("POST", "/api/v1/users/signout", viewer, null).status(),
        "read-only users sign out too");
  }

  @Test
  void tasksAndJobsWithoutASchedulerSaySoAndBadJobsWriteNothing() throws Exception {
    String id = "a".repeat(64);
    Reply list = call("GET", "/api/v1/tasks", root, null);
    assertEquals(503, list.status(), list.body().toString());
    assertTrue(list.message().contains("no active scheduler"), list.message());
    assertEquals(503, call("GET", "/api/v1/tasks/" + id, readonly, null).status());
    assertEquals(503, call("GET", "/api/v1/tasks?q=some-cid", root, null).status());
    assertEquals(400, call("GET", "/api/v1/tasks/not-a-task-id", root, null).status());
    assertEquals(400, call("GET", "/api/v1/tasks?page_token=x", root, null).status());
    assertEquals(400, call("GET", "/api/v1/tasks?page_size=0", root, null).status());
    assertEquals(404, call("GET", "/api/v1/tasks?scheduler_cluster_id=999999", root, null)
        .status());
    assertEquals(404, call("GET", "/api/v1/peers/999999/tasks", root, null).status());

    int jobs = call("GET", "/api/v1/jobs", root, null).body().size();
    int audits = auditCount();
    for (String bad : new String[] {"{}", "{\"type\":\"preheat\",\"args\":{}}",
        "{\"type\":\"delete_task\"}", "{\"type\":\"delete_task\",\"args\":{}}",
        "{\"type\":\"delete_task\",\"args\":{\"task_id\":\"xyz\"}}",
        "{\"type\":\"delete_task\",\"args\":{\"task_id\":\"" + id + "\",\"cid\":\"c\"}}",
        "{\"type\":\"delete_task\",\"args\":{\"url\":\"c\"}}",
        "{\"type\":\"delete_task\",\"args\":{\"cid\":\"c\"},\"scheduler_cluster_id\":0}",
        "{\"type\":\"delete_task\",\"args\":{\"cid\":\"c\"},\"when\":1}"}) {
      Reply r = call("POST", "/api/v1/jobs", root, bad);
      assertEquals(400, r.status(), bad + " -> " + r.body());
      assertFalse(r.message().isEmpty());
    }
    assertEquals(404, call("POST", "/api/v1/jobs", root, "{\"type\":\"delete_task\","
        + "\"args\":{\"cid\":\"c\"},\"scheduler_cluster_id\":999999}").status());
    assertEquals(403, call("POST", "/api/v1/jobs", readonly,
        "{\"type\":\"delete_task\",\"args\":{\"cid\":\"c\"}}").status());
    assertEquals(jobs, call("GET", "/api/v1/jobs", root, null).body().size(), "nothing written");
    assertEquals(audits, auditCount());

    // a good job, in a cluster without a scheduler: it fails, saying why
    Reply created = call("POST", "/api/v1/jobs", root,
        "{\"type\":\"delete_task\",\"args\":{\"cid\":\"my-cid\",\"tag\":\"t\"}}");
    assertEquals(201, created.status(), created.body().toString());
    long jobId = created.body().get("id").asLong();
    assertEquals("/api/v1/jobs/" + jobId,
        URI.create(created.raw().headers().firstValue("Location").orElseThrow()).getPath());
    assertEquals(dev.dfcache.common.TaskIds.taskId(dev.dfcache.common.TaskIds.urlForCid(
        "my-cid"), dev.dfcache.api.common.UrlMeta.newBuilder().setTag("t").build()),
        created.body().get("args").get("task_id").asText());
    JsonNode job = created.body();
    for (int i = 0; i < 100 && !job.get("state").asText().equals("FAILURE"); i++) {
      Thread.sleep(50);
      job = call("GET", "/api/v1/jobs/" + jobId, readonly, null).body();
    }
    assertEquals("FAILURE", job.get("state").asText(), job.toString());
    assertTrue(job.get("progress").asText().contains("no active scheduler"), job.toString());
    assertEquals("root", job.get("user_name").asText());
    assertEquals(jobId, call("GET", "/api/v1/jobs", readonly, null).body().get(0).get("id")
        .asLong(), "newest first");
    assertEquals(404, call("GET", "/api/v1/jobs/999999", root, null).status());
    assertEquals(audits + 1, auditCount());
  }

  @Test
  void metricsOfACluster() throws Exception {
    long cluster = createCluster("{\"name\":\"metered\"}").get("id").asLong();
    long now = System.currentTimeMillis();
    db.now(c -> {
      MetricRepository.add(c, new MetricRepository.Sample(now - 1000, "peer", 7, cluster, 3, 4,
          500, 600, 1, 700, 10, 2000, 2, 30000, 900));
      MetricRepository.add(c, new MetricRepository.Sample(now - 2 * 3_600_000, "scheduler", 2,
          cluster, 1, 1, 1, 1, 0, 1, 0, 0, 0, 0, -1));
      return null;
    });
    Reply r = call("GET", "/api/v1/clusters/" + cluster + "/metrics", root, null);
    assertEquals(200, r.status(), r.body().toString());
    assertEquals(cluster, r.body().get("cluster_id").asLong());
    assertEquals(1, r.body().get("samples").size(), "the last hour by default");
    JsonNode s = r.body().get("samples").get(0);
    assertEquals(now - 1000, s.get("at").asLong());
    assertEquals("peer", s.get("component_kind").asText());
    assertEquals(7, s.get("component_id").asLong());
    assertEquals(3, s.get("tasks").asLong());
    assertEquals(4, s.get("peers").asLong());
    assertEquals(500, s.get("bytes_uploaded").asLong());
    assertEquals(600, s.get("bytes_downloaded").asLong());
    assertEquals(1, s.get("pieces_failed").asLong());
    assertEquals(700, s.get("cache_used").asLong());
    assertEquals(10, s.get("stat_count").asLong());
    assertEquals(2000, s.get("stat_micros").asLong());
    assertEquals(2, s.get("export_count").asLong());
    assertEquals(30000, s.get("export_micros").asLong());
    assertEquals(900, s.get("cache_free").asLong());

    assertEquals(2, call("GET", "/api/v1/clusters/" + cluster + "/metrics?since="
        + (now - 3 * 3_600_000), root, null).body().get("samples").size());
    assertEquals(404, call("GET", "/api/v1/clusters/999999/metrics", root, null).status());
    assertEquals(400, call("GET", "/api/v1/clusters/" + cluster + "/metrics?since=yesterday",
        root, null).status());
  }

  // ---- users and audits

  @Test
  void writesAreAuditedWithoutPasswords() throws Exception {
    Reply user = call("POST", "/api/v1/users", root,
        "{\"name\":\"auditee\",\"password\":\"secret-password\",\"role\":\"readonly\"}");
    assertEquals(201, user.status(), user.body().toString());
    assertEquals("readonly", user.body().get("role").asText());
    assertEquals("auditee", signinName("auditee", "secret-password"));
    long id = createCluster("{\"name\":\"audited\"}").get("id").asLong();
    assertEquals(200, call("PATCH", "/api/v1/scheduler-clusters/" + id, root,
        "{\"config\":{\"bad_parent_reporters\":3}}").status());
    assertEquals(400, call("POST", "/api/v1/users", root,
        "{\"name\":\"weak\",\"password\":\"short\",\"role\":\"readonly\"}").status());
    assertEquals(400, call("POST", "/api/v1/users", root,
        "{\"name\":\"odd\",\"password\":\"long-enough\",\"role\":\"admin\"}").status());

    Reply audits = call("GET", "/api/v1/audits?limit=3", root, null);
    assertEquals(200, audits.status());
    assertEquals(3, audits.body().size());
    JsonNode patch = audits.body().get(0);
    assertEquals("scheduler-cluster.patch", patch.get("action").asText());
    assertEquals("scheduler-cluster/" + id, patch.get("target").asText());
    assertEquals("root", patch.get("actor").asText());
    assertEquals(3, patch.get("detail").get("config").get("bad_parent_reporters").asInt());
    assertEquals("scheduler-cluster.create", audits.body().get(1).get("action").asText());
    JsonNode created = audits.body().get(2);
    assertEquals("user.create", created.get("action").asText());
    assertEquals("auditee", created.get("detail").get("name").asText());
    assertFalse(created.get("detail").has("password"));
    assertFalse(created.toString().contains("secret-password"));

    Reply users = call("GET", "/api/v1/users", root, null);
    assertTrue(users.body().toString().contains("\"auditee\""));
    assertFalse(users.body().toString().contains("password"));
    assertEquals(400, call("GET", "/api/v1/audits?limit=0", root, null).status());
    assertEquals(400, call("GET", "/api/v1/audits?limit=1001", root, null).status());
  }

  private String signinName(String name, String password) throws Exception {
    String token = signin(name, password);
    return db.now(c -> UserRepository.userOfToken(c, Passwords.tokenHash(token),
        System.currentTimeMillis())).orElseThrow().name();
  }

  @Test
  void unexpectedFailuresAreAGeneric500() throws Exception {
    // a row no API call could have written: its config column is not JSON
    long id = db.now(c -> ClusterRepository.create(c, "corrupt", "", "not json {", "{}", "{}",
        false)).id();
    Reply r;
    try {
      r = call("GET", "/api/v1/scheduler-clusters/" + id, root, null);
    } finally {
      // repaired at once: the other tests list every cluster
      db.now(c -> ClusterRepository.update(c, id, null, "{}", null, null));
    }
    assertEquals(500, r.status());
    assertTrue(r.message().startsWith("internal error"), r.message());
    assertFalse(r.body().toString().contains("not json"), "no internals in the answer");
  }

  // ---- protocol errors

  @Test
  void unknownPathsWrongMethodsAndBigBodies() throws Exception {
    Reply missing = call("GET", "/api/v1/nothing-here", root, null);
    assertEquals(404, missing.status());
    assertFalse(missing.message().isEmpty());
    assertEquals(404, call("GET", "/api/v2/scheduler-clusters", root, null).status());
    assertEquals(404, call("GET", "/api/v1/scheduler-clusters/1/extra", root, null).status());

    Reply wrong = call("DELETE", "/api/v1/scheduler-clusters/1", root, null);
    assertEquals(405, wrong.status());
    assertTrue(wrong.raw().headers().firstValue("Allow").orElse("").contains("PATCH"));
    assertEquals(405, call("PUT", "/api/v1/audits", root, "{}").status());

    int audits = auditCount();
    String big = "{\"name\":\"big\",\"bio\":\"" + "x".repeat(RestApi.MAX_BODY + 10) + "\"}";
    Reply tooBig = call("POST", "/api/v1/scheduler-clusters", root, big);
    assertEquals(413, tooBig.status());
    assertFalse(tooBig.message().isEmpty());
    assertEquals(audits, auditCount());
    // bio over its column's size, under the body limit
    assertEquals(400, call("POST", "/api/v1/scheduler-clusters", root,
        "{\"name\":\"long-bio\",\"bio\":\"" + "y".repeat(2000) + "\"}").status());
  }
}
