package dev.dfcache.e2e;

import static dev.dfcache.e2e.LocalCluster.cli;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dfcache.e2e.LocalCluster.CliResult;
import dev.dfcache.e2e.LocalCluster.Proc;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Peers that die, come back, or run alone: each test has a cluster of its own. */
class PeerLifecycleIT {
  Path work;
  LocalCluster cluster;

  @BeforeEach
  void setUp() throws Exception {
    cluster = LocalCluster.inTempDir("dfcache-lifecycle");
    work = cluster.work();
  }

  @AfterEach
  void tearDown() throws Exception {
    cluster.close();
  }

  Path randomFile(String name, int size) throws Exception {
    byte[] data = new byte[size];
    new Random(size).nextBytes(data);
    return Files.write(work.resolve(name), data);
  }

  /** Polls a CLI command until it exits with {@code exit}; returns the seconds it took. */
  static double awaitExit(int exit, int timeoutSeconds, Proc daemon, String... args)
      throws Exception {
    long start = System.nanoTime();
    CliResult last = null;
    while (System.nanoTime() - start < timeoutSeconds * 1_000_000_000L) {
      last = cli(daemon, args);
      if (last.exit() == exit) {
        return (System.nanoTime() - start) / 1e9;
      }
      Thread.sleep(250);
    }
    throw new AssertionError("no exit " + exit + " within " + timeoutSeconds + " s: " + last);
  }

  @Test
  void aDeadPeerIsNoLongerOfferedAndARestartedOneIsBackWithItsCache() throws Exception {
    Proc scheduler = cluster.scheduler("scheduler");
    Proc a = cluster.daemon("a", scheduler.grpc());
    Proc b = cluster.daemon("b", scheduler.grpc());
    Path src = randomFile("f", 5 * 1024 * 1024 + 7);
    String sha = EndToEndIT.sha256(src);
    assertEquals(0, cli(a, "import", "-i", "life", src.toString()).exit());
    assertEquals(0, cli(b, "stat", "-i", "life").exit());

    cluster.kill(a);
    double gone = awaitExit(1, 30, b, "stat", "-i", "life");
    System.out.printf("stat turned not-found %.1f s after the holder was killed%n", gone);
    Path out = work.resolve("out");
    CliResult export = cli(b, "export", "-i", "life", "-O", out.toString());
    assertEquals(1, export.exit(), export.toString());
    assertFalse(Files.exists(out), "a failed export leaves no output");

    Proc again = cluster.restart(a);
    double back = awaitExit(0, 30, b, "stat", "-i", "life");
    System.out.printf("stat found the task again %.1f s after the holder restarted%n", back);
    assertEquals(0, cli(again, "stat", "-i", "life", "--local").exit());
    assertEquals(0, cli(b, "export", "-i", "life", "-O", out.toString()).exit());
    assertEquals(sha, EndToEndIT.sha256(out));
  }

  @Test
  void aStandaloneDaemonNeedsNoOtherProcess() throws Exception {
    Proc solo = cluster.standaloneDaemon("solo");
    Path src = randomFile("solo-in", 4 * 1024 * 1024 + 1);
    assertEquals(0, cli(solo, "import", "-i", "solo", src.toString()).exit());
    assertEquals(0, cli(solo, "stat", "-i", "solo").exit());
    assertEquals(0, cli(solo, "stat", "-i", "solo", "--local").exit());
    Path out = work.resolve("solo-out");
    assertEquals(0, cli(solo, "export", "-i", "solo", "-O", out.toString()).exit());
    assertEquals(EndToEndIT.sha256(src), EndToEndIT.sha256(out));
    assertEquals(0, cli(solo, "delete", "-i", "solo").exit());
    assertEquals(1, cli(solo, "stat", "-i", "solo").exit());
  }

  /** The caller (root) may read anything; the daemon (nobody) may not, and says so. */
  @Test
  void anUnreadableFileIsRejectedAndNothingIsStored() throws Exception {
    boolean root = "root".equals(System.getProperty("user.name"));
    if (root) {
      // Root reads any file: run this daemon as nobody so that mode 000 means something.
      Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/setpriv")), "setpriv needed");
      Files.setPosixFilePermissions(work, PosixFilePermissions.fromString("rwxrwxrwx"));
      // its socket's directory must be its own (and not world-writable)
      Path sockets = Files.createDirectories(work.resolve("sockets"));
      Files.setAttribute(sockets, "unix:uid", 65534);
      cluster.setCommandPrefix(List.of("/usr/bin/setpriv", "--reuid=65534", "--regid=65534",
          "--clear-groups"));
    }
    Proc solo = cluster.standaloneDaemon("solo");
    Path src = randomFile("secret", 1000);
    Files.setPosixFilePermissions(src, PosixFilePermissions.fromString("---------"));
    CliResult r = cli(solo, "import", "-i", "secret", src.toString());
    assertEquals(1, r.exit(), r.toString());
    assertTrue(r.err().contains("permission denied"), r.toString());
    assertEquals(1, cli(solo, "stat", "-i", "secret", "--local").exit());
  }

  /**
   * A peer whose heartbeats stopped for forget-host-after is removed from every task the
   * scheduler knows, and a task none of whose peers is left goes with it.
   */
  @Test
  void peersWhoseHeartbeatsStoppedAreRemovedFromTheirTasks() throws Exception {
    cluster.setJvmOptions("-Ddfcache.scheduler.forget-host-after=3s");
    Proc scheduler = cluster.scheduler("scheduler");
    Proc a = cluster.daemon("a", scheduler.grpc());
    Proc b = cluster.daemon("b", scheduler.grpc());
    Path src = randomFile("churn", 5 * 1024 * 1024);
    assertEquals(0, cli(a, "import", "-i", "churn", src.toString()).exit());
    assertEquals(0, cli(b, "export", "-i", "churn", "-O", work.resolve("churn.b").toString())
        .exit());
    String taskId = dev.dfcache.common.TaskIds.taskId(
        dev.dfcache.common.TaskIds.urlForCid("churn"),
        dev.dfcache.api.common.UrlMeta.getDefaultInstance());
    io.grpc.ManagedChannel ch = dev.dfcache.rpc.Channels.open(
        dev.dfcache.common.HostPort.parse(scheduler.grpc()));
    try {
      awaitPeerCount(ch, taskId, 2);
      long t0 = System.nanoTime();
      cluster.kill(b);
      awaitPeerCount(ch, taskId, 1);
      System.out.printf("dead peer removed from its task %.1f s after kill -9 (host-ttl 8 s, "
          + "forget-host-after 3 s)%n", (System.nanoTime() - t0) / 1e9);
      cluster.kill(a);
      awaitPeerCount(ch, taskId, 0); // unknown: the entity went with its last peer
    } finally {
      ch.shutdownNow();
    }
  }

  /** Polls the scheduler's StatTask until the task has that many peers (0 = unknown). */
  static void awaitPeerCount(io.grpc.Channel ch, String taskId, int peers) throws Exception {
    long deadline = System.nanoTime() + 60_000_000_000L;
    int last = -1;
    while (System.nanoTime() < deadline) {
      try {
        last = dev.dfcache.rpc.SchedulerRpc.STAT_TASK.call(ch,
            dev.dfcache.api.scheduler.StatTaskRequest.newBuilder().setTaskId(taskId).build(),
            java.time.Duration.ofSeconds(10)).getPeerCount();
      } catch (RuntimeException e) {
        assertEquals(dev.dfcache.api.common.Code.PeerTaskNotFound,
            dev.dfcache.common.DfException.of(e).code(), e.toString());
        last = 0;
      }
      if (last == peers) {
        return;
      }
      Thread.sleep(250);
    }
    throw new AssertionError("task has " + last + " peers, not " + peers + ", after 60 s");
  }
}
