package dev.dfcache.e2e;

import static dev.dfcache.e2e.LocalCluster.cli;
import static dev.dfcache.e2e.NetworkDeleteIT.ok;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dfcache.e2e.LocalCluster.CliResult;
import dev.dfcache.e2e.LocalCluster.Proc;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Components that start together, as a Kubernetes DaemonSet and the schedulers do: daemons
 * given only --manager register before any scheduler has. They pretend no scheduler: an import
 * is stored and succeeds with a warning (its announce postponed), a stat that needs a scheduler
 * says none is known yet; once a scheduler registers, the daemons learn it within their early
 * asks (1 s, 2 s, 4 s...: not the 30 s refresh) and announce what waited, and another daemon
 * exports the file.
 */
class StartupOrderIT {
  static final int MIB = 1 << 20;
  LocalCluster cluster;
  Path work;

  @BeforeEach
  void setUp() throws Exception {
    cluster = LocalCluster.inTempDir("dfcache-startup");
    work = cluster.work();
  }

  @AfterEach
  void tearDown() {
    cluster.close();
  }

  @Test
  void anImportBeforeAnySchedulerIsAnnouncedOnceOneRegisters() throws Exception {
    Proc manager = cluster.manager("manager", List.of(),
        Map.of("DFCACHE_MANAGER_ADMIN_PASSWORD", "correct-horse-battery"));
    String m = "127.0.0.1:" + manager.grpcPort;
    Proc d1 = cluster.daemon("d1", "", List.of("--manager", m));
    Proc d2 = cluster.daemon("d2", "", List.of("--manager", m));
    String d1Log = Files.readString(d1.log);
    assertTrue(d1Log.contains("no scheduler known yet"), d1Log);
    assertFalse(d1Log.contains("127.0.0.1:8002"), "no made-up scheduler: " + d1Log);

    byte[] data = new byte[9 * MIB + 123];
    new Random(7).nextBytes(data);
    Path src = Files.write(work.resolve("early"), data);
    CliResult imported = cli(d1, "import", "-i", "early", src.toString());
    assertEquals(0, imported.exit(), imported.toString());
    assertTrue(imported.err().startsWith("Warning: stored, announce postponed: no scheduler "
        + "known yet: the manager " + m + " has none registered"), imported.toString());
    assertFalse(imported.err().contains("Error"), imported.toString());
    Path small = Files.writeString(work.resolve("small"), "imported with --json");
    CliResult json = cli(d1, "--json", "import", "-i", "early-json", small.toString());
    assertEquals(0, json.exit(), json.toString());
    assertTrue(json.out().startsWith("{\"ok\":true,\"command\":\"import\"")
        && json.out().contains("\"announced\":false,\"warning\":\"stored, announce postponed: "
            + "no scheduler known yet"), json.toString());
    // a call that needs a scheduler says why there is none, and exits 1
    CliResult stat = cli(d2, "stat", "-i", "early");
    assertEquals(1, stat.exit(), stat.toString());
    assertTrue(stat.err().startsWith("Error: no scheduler known yet: the manager " + m
        + " has none registered; asking it again within "), stat.toString());

    // the scheduler registers; the daemons learn it, d1 announces, d2 exports
    int cluster1 = LocalCluster.freePort();
    int grpc = LocalCluster.freePort();
    cluster.process("scheduler", List.of(), List.of("scheduler", "--host", "127.0.0.1",
            "--grpc-port", Integer.toString(grpc), "--cluster-port", Integer.toString(cluster1),
            "--seed-nodes", "127.0.0.1:" + cluster1, "--manager", m,
            "--data-dir", work.resolve("scheduler").toString()),
        Map.of(), "scheduler up", grpc, cluster1);
    long t0 = System.nanoTime();
    long deadline = t0 + 90_000_000_000L; // bounded: the early asks reach 30 s only after a minute
    Path out = work.resolve("early.out");
    CliResult export;
    do {
      Thread.sleep(500);
      export = cli(d2, "export", "-i", "early", "-O", out.toString());
    } while (export.exit() != 0 && System.nanoTime() < deadline);
    assertEquals(0, export.exit(), export.toString());
    System.out.printf("startup order: exported on d2 %.1f s after the scheduler was up%n",
        (System.nanoTime() - t0) / 1e9);
    assertEquals(EndToEndIT.sha256(src), EndToEndIT.sha256(out));
    ok(cli(d2, "stat", "-i", "early-json"));
    ManagerIT.awaitLog(d1, "schedulers known: announcing", 5);
    String announced = Files.readString(d1.log);
    assertTrue(announced.matches("(?s).*announce round \\d+ \\([^)]*\\): 2 tasks, 2 announced, "
        + "0 failed, 0 postponed.*"), announced);
  }
}
