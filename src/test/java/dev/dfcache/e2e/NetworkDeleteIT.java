package dev.dfcache.e2e;

import static dev.dfcache.e2e.LocalCluster.cli;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dfcache.api.common.UrlMeta;
import dev.dfcache.common.TaskIds;
import dev.dfcache.e2e.LocalCluster.CliResult;
import dev.dfcache.e2e.LocalCluster.Proc;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code dfcache delete} removes a task from the whole network: every holder's files go, a holder
 * that was down drops its copy when it comes back, stat fails everywhere, and the task can be
 * imported again afterwards.
 */
class NetworkDeleteIT {
  static final int MIB = 1 << 20;
  LocalCluster cluster;
  Path work;

  @BeforeEach
  void setUp() throws Exception {
    cluster = LocalCluster.inTempDir("dfcache-network-delete");
    work = cluster.work();
  }

  @AfterEach
  void tearDown() {
    cluster.close();
  }

  static void ok(CliResult r) {
    assertEquals(0, r.exit(), r.toString());
  }

  static Path taskDir(Proc p, String cid) {
    String id = TaskIds.taskId(TaskIds.urlForCid(cid), UrlMeta.getDefaultInstance());
    return p.dataDir.resolve("tasks").resolve(id.substring(0, 3)).resolve(id);
  }

  /** Waits until the task's files are gone from the daemon's data dir. */
  static void awaitGone(Proc p, String cid, Duration within) throws InterruptedException {
    long deadline = System.nanoTime() + within.toNanos();
    while (Files.exists(taskDir(p, cid))) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError(p.name + " still holds " + cid + " after " + within);
      }
      Thread.sleep(100);
    }
  }

  @Test
  void oneDeleteRemovesTheTaskFromEveryHolderAndOneThatWasDownDropsItOnReturn() throws Exception {
    Proc scheduler = cluster.scheduler("scheduler");
    Proc a = cluster.daemon("a", scheduler.grpc());
    Proc b = cluster.daemon("b", scheduler.grpc());
    Proc c = cluster.daemon("c", scheduler.grpc());
    Proc d = cluster.daemon("d", scheduler.grpc());
    byte[] data = new byte[9 * MIB];
    new Random(11).nextBytes(data);
    Path src = Files.write(work.resolve("src"), data);
    ok(cli(a, "import", "-i", "everywhere", src.toString()));
    for (Proc p : List.of(b, c, d)) {
      ok(cli(p, "export", "-i", "everywhere", "-O", work.resolve("out-" + p.name).toString()));
      assertTrue(Files.exists(taskDir(p, "everywhere")), p.name + " holds a copy");
    }
    cluster.stop(d);

    long t0 = System.nanoTime();
    CliResult deleted = cli(b, "delete", "-i", "everywhere");
    ok(deleted);
    assertTrue(deleted.out().contains("deleted from the network"), deleted.toString());
    for (Proc p : List.of(a, b, c)) {
      awaitGone(p, "everywhere", Duration.ofSeconds(15));
    }
    System.out.printf("network delete: 3 live holders dropped their copies in %.2f s%n",
        (System.nanoTime() - t0) / 1e9);
    for (Proc p : List.of(a, b, c)) {
      assertEquals(1, cli(p, "stat", "-i", "everywhere").exit(), p.name + ": stat after delete");
    }
    // a user's exported file is the user's: the delete does not touch it
    assertTrue(Files.exists(work.resolve("out-b")));

    Proc back = cluster.restart(d);
    awaitGone(back, "everywhere", Duration.ofSeconds(30));
    assertEquals(1, cli(back, "stat", "-i", "everywhere").exit());

    // imported again, the task lives again (and a second holder keeps it)
    ok(cli(c, "import", "-i", "everywhere", src.toString()));
    Path again = work.resolve("again");
    ok(cli(a, "export", "-i", "everywhere", "-O", again.toString()));
    assertEquals(EndToEndIT.sha256(src), EndToEndIT.sha256(again));
    Thread.sleep(3000); // a late hint of the old delete must not take the new copies
    assertTrue(Files.exists(taskDir(c, "everywhere")) && Files.exists(taskDir(a, "everywhere")));
    ok(cli(back, "stat", "-i", "everywhere"));
  }

  @Test
  void aLocalDeleteLeavesTheOtherHoldersAndDeletingNothingIsFine() throws Exception {
    Proc scheduler = cluster.scheduler("scheduler");
    Proc a = cluster.daemon("a", scheduler.grpc());
    Proc b = cluster.daemon("b", scheduler.grpc());
    Path src = Files.write(work.resolve("small"), "a few bytes".getBytes());
    ok(cli(a, "import", "-i", "kept", src.toString()));
    ok(cli(b, "export", "-i", "kept", "-O", work.resolve("kept.b").toString()));
    ok(cli(b, "delete", "--local", "-i", "kept"));
    assertTrue(Files.exists(taskDir(a, "kept")));
    ok(cli(b, "stat", "-i", "kept"));
    ok(cli(b, "delete", "-i", "never-imported"));
  }
}
