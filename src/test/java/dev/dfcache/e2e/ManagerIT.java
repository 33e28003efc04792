package dev.dfcache.e2e;

import static dev.dfcache.e2e.LocalCluster.cli;
import static dev.dfcache.e2e.LocalCluster.freePort;
import static dev.dfcache.e2e.NetworkDeleteIT.ok;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.dfcache.e2e.LocalCluster.Proc;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The manager with real components, on its embedded H2 database ({@link ManagerPostgresIT} runs
 * the same on PostgreSQL): two schedulers and three daemons started with only --manager register
 * and are listed active; the daemons found their schedulers; a daemon killed turns inactive
 * within the lease; a PATCH of the cluster's download rate limit reaches the daemons within one
 * keep-alive and slows an export; with the manager killed, everything keeps working and a
 * restarted daemon starts from its cached configuration; the manager back, the data is still
 * there and the components are active again.
 */
class ManagerIT {
  static final String PASSWORD = "correct-horse-battery";
  static final int MIB = 1 << 20;
  LocalCluster cluster;
  Path work;

  @BeforeEach
  void setUp() throws Exception {
    cluster = LocalCluster.inTempDir("dfcache-manager");
    work = cluster.work();
    configure(cluster);
  }

  /** Before any process starts: ManagerTlsIT turns mutual TLS on. */
  void configure(LocalCluster cluster) throws Exception {}

  /** Channels to the manager's gRPC port as a component has them. */
  dev.dfcache.rpc.Channels componentChannels() throws Exception {
    return new dev.dfcache.rpc.Channels();
  }

  @AfterEach
  void tearDown() throws Exception {
    cluster.close();
  }

  /** Flags that choose the database: none = the embedded H2 file. */
  List<String> databaseArgs() throws Exception {
    return List.of();
  }

  Proc startManager(String name) throws Exception {
    return cluster.manager(name, databaseArgs(),
        Map.of("DFCACHE_MANAGER_ADMIN_PASSWORD", PASSWORD));
  }

  Proc scheduler(String name, int clusterPort, int seedPort, String manager) throws Exception {
    int grpc = freePort();
    return cluster.process(name, List.of(), List.of("scheduler", "--host", "127.0.0.1",
            "--grpc-port", Integer.toString(grpc), "--cluster-port", Integer.toString(clusterPort),
            "--seed-nodes", "127.0.0.1:" + seedPort, "--manager", manager,
            "--data-dir", work.resolve(name).toString()),
        Map.of(), "scheduler up", grpc, clusterPort);
  }

  /** Waits until the list at {@code path} has {@code active} rows in state "active". */
  static long awaitActive(ManagerApi api, String path, int active, int seconds) throws Exception {
    long t0 = System.nanoTime();
    long deadline = t0 + seconds * 1_000_000_000L;
    while (true) {
      ManagerApi.Reply r = api.get(path);
      int n = 0;
      if (r.status() == 200) {
        for (JsonNode row : ManagerApi.rows(r.body())) {
          n += row.get("state").asText().equals("active") ? 1 : 0;
        }
      }
      if (n == active) {
        return (System.nanoTime() - t0) / 1_000_000;
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError(path + ": " + n + " active, wanted " + active + ": " + r);
      }
      Thread.sleep(250);
    }
  }

  static long defaultClusterId(ManagerApi api) throws Exception {
    ManagerApi.Reply r = api.get("/api/v1/scheduler-clusters");
    assertEquals(200, r.status(), r.toString());
    for (JsonNode c : ManagerApi.rows(r.body())) {
      if (c.get("name").asText().equals("default")) {
        return c.get("id").asLong();
      }
    }
    throw new AssertionError("no default cluster: " + r);
  }

  static void awaitLog(Proc p, String text, int seconds) throws Exception {
    long deadline = System.nanoTime() + seconds * 1_000_000_000L;
    while (!Files.readString(p.log).contains(text)) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError(p.name + " never logged '" + text + "'");
      }
      Thread.sleep(100);
    }
  }

  @Test
  void componentsRegisterFollowTheConfigurationAndOutliveTheManager() throws Exception {
    Proc manager = startManager("manager");
    String m = "127.0.0.1:" + manager.grpcPort;
    int c1 = freePort();
    int c2 = freePort();
    Proc s1 = scheduler("s1", c1, c1, m);
    scheduler("s2", c2, c1, m);
    List<Proc> daemons = new ArrayList<>();
    for (String name : List.of("d1", "d2", "d3")) {
      daemons.add(cluster.daemon(name, "", List.of("--manager", m)));
    }
    ManagerApi api = ManagerApi.of(manager).signIn("root", PASSWORD);
    awaitActive(api, "/api/v1/schedulers", 2, 20);
    awaitActive(api, "/api/v1/peers", 3, 20);

    // the daemons found their schedulers through the manager
    byte[] data = new byte[32 * MIB];
    new Random(3).nextBytes(data);
    Path src = Files.write(work.resolve("src"), data);
    Proc d1 = daemons.get(0);
    Proc d2 = daemons.get(1);
    ok(cli(d1, "import", "-i", "managed", src.toString()));
    ok(cli(d2, "export", "-i", "managed", "-O", work.resolve("out1").toString()));
    assertEquals(EndToEndIT.sha256(src), EndToEndIT.sha256(work.resolve("out1")));

    // the manager's task views ask a scheduler (either node routes to the task's owner), and a
    // delete_task job has every holder drop its copy
    JsonNode task = null;
    for (int i = 0; i < 50; i++) {
      ManagerApi.Reply found = api.get("/api/v1/tasks?q=managed");
      assertEquals(200, found.status(), found.toString());
      task = found.body().get("tasks").get(0);
      if (task != null && task.get("holders").size() == 2) {
        break;
      }
      Thread.sleep(200);
    }
    assertEquals(2, task.get("holders").size(), String.valueOf(task));
    assertEquals(32 * MIB, task.get("content_length").asLong());
    Path doomed = Files.writeString(work.resolve("doomed"), "deleted by a job");
    ok(cli(d1, "import", "-i", "by-job", doomed.toString()));
    ManagerApi.Reply job = api.call("POST", "/api/v1/jobs",
        "{\"type\": \"delete_task\", \"args\": {\"cid\": \"by-job\"}}");
    assertEquals(201, job.status(), job.toString());
    String state = "";
    for (int i = 0; i < 100 && !state.equals("SUCCESS") && !state.equals("FAILURE"); i++) {
      Thread.sleep(200);
      job = api.get("/api/v1/jobs/" + job.body().get("id").asLong());
      state = job.body().get("state").asText();
    }
    assertEquals("SUCCESS", state, job.toString());
    ConsoleIT.waitUntilGone(d1, "by-job");

    // a daemon killed turns inactive when its lease (10 s) runs out
    long killed = System.nanoTime();
    cluster.kill(daemons.get(2));
    awaitActive(api, "/api/v1/peers", 2, 30);
    System.out.printf("manager: a daemon killed -9 listed inactive after %.1f s (lease 10 s)%n",
        (System.nanoTime() - killed) / 1e9);

    // a live change: the download rate limit reaches the daemons within a keep-alive
    long id = defaultClusterId(api);
    long patched = System.nanoTime();
    ManagerApi.Reply r = api.call("PATCH", "/api/v1/scheduler-clusters/" + id,
        "{\"client_config\": {\"download_rate_limit\": " + 8 * MIB + "}}");
    assertEquals(200, r.status(), r.toString());
    long version = r.body().get("config_version").asLong();
    awaitLog(d2, "cluster configuration version " + version + " applied", 10);
    System.out.printf("manager: a PATCH applied by a daemon %.1f s later%n",
        (System.nanoTime() - patched) / 1e9);
    ok(cli(d2, "delete", "--local", "-i", "managed"));
    long t0 = System.nanoTime();
    ok(cli(d2, "export", "-i", "managed", "-O", work.resolve("out2").toString()));
    double limited = (System.nanoTime() - t0) / 1e9;
    System.out.printf("manager: 32 MiB export at download_rate_limit 8 MiB/s took %.1f s%n",
        limited);
    assertTrue(limited > 2.5, "the limit applies: " + limited + " s");
    assertEquals(EndToEndIT.sha256(src), EndToEndIT.sha256(work.resolve("out2")));

    // the schedulers' parent-selection limits follow the cluster's config too
    ManagerApi.Reply limits = api.call("PATCH", "/api/v1/scheduler-clusters/" + id,
        "{\"config\": {\"candidate_parent_limit\": 4}}");
    assertEquals(200, limits.status(), limits.toString());
    awaitLog(s1, "ParentSelection[parentLimit=4", 10);
    // bad input on the components' API is refused with a clear error, and nothing registered
    try (var ch = componentChannels()) {
      var bad = org.junit.jupiter.api.Assertions.assertThrows(io.grpc.StatusRuntimeException.class,
          () -> dev.dfcache.rpc.ManagerRpc.UPDATE_SCHEDULER.call(
              ch.get(dev.dfcache.common.HostPort.parse(m)),
              dev.dfcache.api.manager.UpdateSchedulerRequest.newBuilder()
                  .setHostName("x").setIp("1.2.3.4'); DROP TABLE schedulers; --").setPort(1)
                  .build(), java.time.Duration.ofSeconds(5)));
      assertTrue(bad.getMessage().contains("[1400]"), bad.getMessage());
    }
    awaitActive(api, "/api/v1/schedulers", 2, 5);

    ManagerApi.Reply samples = api.get("/api/v1/clusters/" + id + "/metrics");
    assertEquals(200, samples.status(), samples.toString());
    assertTrue(samples.text().contains("\"peer\""), "peers sent metrics: " + samples.text());

    // the manager dies: nothing else stops; a daemon restarted meanwhile uses its cache
    cluster.kill(manager);
    long managerKilled = System.nanoTime();
    ok(cli(d1, "stat", "-i", "managed"));
    Path more = Files.writeString(work.resolve("more"), "imported while the manager is down");
    ok(cli(d1, "import", "-i", "during-outage", more.toString()));
    cluster.stop(d2);
    Proc back = cluster.restart(d2);
    awaitLog(back, "started from the configuration cached", 1);
    ok(cli(back, "export", "-i", "during-outage", "-O", work.resolve("out3").toString()));
    assertEquals("imported while the manager is down", Files.readString(work.resolve("out3")));

    // the manager is back after the leases ran out: its data is there, and the components
    // register by themselves
    long leaseLeft = 11_000 - (System.nanoTime() - managerKilled) / 1_000_000;
    if (leaseLeft > 0) {
      Thread.sleep(leaseLeft);
    }
    Proc again = cluster.restart(manager, "manager up");
    ManagerApi api2 = ManagerApi.of(again).signIn("root", PASSWORD);
    ManagerApi.Reply kept = api2.get("/api/v1/scheduler-clusters/" + id);
    assertEquals(8 * MIB, kept.body().get("client_config").get("download_rate_limit").asLong(),
        kept.toString());
    long reRegistered = awaitActive(api2, "/api/v1/schedulers", 2, 30);
    awaitActive(api2, "/api/v1/peers", 2, 30);
    awaitLog(d1, "reachable again", 5);
    System.out.printf("manager: restarted, components active again within %.1f s%n",
        reRegistered / 1e3);
  }
}
