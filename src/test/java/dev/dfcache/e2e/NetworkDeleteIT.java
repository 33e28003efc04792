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

  /**
   * The scheduler node that remembered a deletion is killed (-9): the task's next incarnation,
   * on another node, finds the deletion in the fleet's replicated log, so a holder that was down
   * during the delete still drops its copy when it comes back; a fresh import then undoes it.
   */
  @Test
  void aDeletionOutlivesTheCrashOfTheNodeThatRememberedIt() throws Exception {
    int c1 = LocalCluster.freePort();
    int c2 = LocalCluster.freePort();
    int c3 = LocalCluster.freePort();
    String seed = "127.0.0.1:" + c1;
    List<Proc> schedulers = List.of(cluster.scheduler("s1", List.of(seed), c1),
        cluster.scheduler("s2", List.of(seed), c2), cluster.scheduler("s3", List.of(seed), c3));
    String all = String.join(",", schedulers.stream().map(Proc::grpc).toList());
    Proc a = cluster.daemon("a", all);
    Proc b = cluster.daemon("b", all);
    Thread.sleep(3000); // the three regions register and the first rebalance passes
    Path src = Files.write(work.resolve("src"), "deleted while b was down".getBytes());
    ok(cli(a, "import", "-i", "remembered", src.toString()));
    ok(cli(b, "export", "-i", "remembered", "-O", work.resolve("out-b").toString()));
    cluster.stop(b);
    ok(cli(a, "delete", "-i", "remembered"));
    awaitGone(a, "remembered", Duration.ofSeconds(15));

    Proc rememberer = null;
    for (Proc s : schedulers) {
      if (Files.readString(s.log).contains("deleted from the network by")) {
        rememberer = s;
      }
    }
    assertTrue(rememberer != null, "one scheduler node logged the deletion");
    Thread.sleep(1000); // the deletion reaches a majority as it is written; leave gossip a beat
    cluster.kill(rememberer);

    long t0 = System.nanoTime();
    Proc back = cluster.restart(b);
    awaitGone(back, "remembered", Duration.ofSeconds(60));
    System.out.printf("network delete: the holder that was down dropped its copy %.1f s after "
        + "its restart, the remembering scheduler node killed%n", (System.nanoTime() - t0) / 1e9);
    assertEquals(1, cli(back, "stat", "-i", "remembered").exit());

    ok(cli(a, "import", "-i", "remembered", src.toString()));
    ok(cli(back, "export", "-i", "remembered", "-O", work.resolve("again").toString()));
    assertEquals(EndToEndIT.sha256(src), EndToEndIT.sha256(work.resolve("again")));
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
