package dev.dfcache.e2e;

import static dev.dfcache.e2e.LocalCluster.cli;
import static dev.dfcache.e2e.NetworkDeleteIT.ok;
import static dev.dfcache.e2e.NetworkDeleteIT.taskDir;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dfcache.e2e.LocalCluster.CliResult;
import dev.dfcache.e2e.LocalCluster.Proc;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code dfcache import --persistent-replica-count 3}: without any user export, three daemons
 * come to hold the task; when one of them is killed, a copy appears on the fourth. Every copy
 * verifies against the source.
 */
class ReplicaIT {
  LocalCluster cluster;
  Path work;

  @BeforeEach
  void setUp() throws Exception {
    cluster = LocalCluster.inTempDir("dfcache-replica");
    work = cluster.work();
  }

  @AfterEach
  void tearDown() {
    cluster.close();
  }

  static List<Proc> holders(List<Proc> daemons, String cid) {
    List<Proc> out = new ArrayList<>();
    for (Proc p : daemons) {
      if (Files.exists(taskDir(p, cid).resolve("meta.json"))) {
        out.add(p);
      }
    }
    return out;
  }

  static List<Proc> awaitHolders(List<Proc> daemons, String cid, int n, int seconds)
      throws InterruptedException {
    long deadline = System.nanoTime() + seconds * 1_000_000_000L;
    List<Proc> now = holders(daemons, cid);
    while (now.size() < n) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError(now.size() + " holders of " + cid + " after " + seconds + " s");
      }
      Thread.sleep(200);
      now = holders(daemons, cid);
    }
    return now;
  }

  /** Waits until {@code dfcache stat --json} of the task contains {@code text}. */
  static void awaitStat(Proc p, String cid, String text, int seconds) throws Exception {
    long deadline = System.nanoTime() + seconds * 1_000_000_000L;
    CliResult r = cli(p, "stat", "--json", "-i", cid);
    while (!r.out().contains(text)) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("stat never said " + text + ": " + r);
      }
      Thread.sleep(300);
      r = cli(p, "stat", "--json", "-i", cid);
    }
  }

  @Test
  void theNetworkKeepsTheCopiesAskedForAndReplacesALostOne() throws Exception {
    Proc scheduler = cluster.scheduler("scheduler");
    List<Proc> daemons = new ArrayList<>();
    for (String name : List.of("a", "b", "c", "d")) {
      daemons.add(cluster.daemon(name, scheduler.grpc()));
    }
    // a host whose cache has no room for the task is never asked for a copy
    Proc full = cluster.daemon("full", scheduler.grpc(), List.of("--store-quota", "1MiB"));
    byte[] data = new byte[13 << 20];
    new Random(5).nextBytes(data);
    Path src = Files.write(work.resolve("src"), data);
    String sha = EndToEndIT.sha256(src);
    long t0 = System.nanoTime();
    ok(cli(daemons.get(0), "import", "-i", "kept-thrice", "--persistent-replica-count", "3",
        src.toString()));
    List<Proc> three = awaitHolders(daemons, "kept-thrice", 3, 60);
    System.out.printf("replicas: 3 copies %.1f s after the import began%n",
        (System.nanoTime() - t0) / 1e9);
    Thread.sleep(2000);
    assertEquals(3, holders(daemons, "kept-thrice").size(), "no more copies than asked");
    assertEquals(List.of(), holders(List.of(full), "kept-thrice"), "no copy asked of a full host");
    for (Proc p : three) {
      assertEquals(sha, EndToEndIT.sha256(taskDir(p, "kept-thrice").resolve("data")), p.name);
      CliResult listed = cli(p, "ls");
      assertTrue(listed.out().matches("(?s).*kept-thrice\\s+-\\s+13\\.0 MiB\\s+\\S+\\s+-\\s+3\\s.*"),
          p.name + " lists its copy as one of 3: " + listed.out());
    }

    awaitStat(daemons.get(3), "kept-thrice", "\"replicasWanted\":3,\"replicasHeld\":3", 20);
    CliResult stat = cli(daemons.get(3), "stat", "-i", "kept-thrice");
    ok(stat);
    assertTrue(stat.out().contains("3 of 3 copies held"), stat.toString());

    Proc lost = three.get(three.size() - 1);
    cluster.kill(lost);
    List<Proc> alive = new ArrayList<>(daemons);
    alive.remove(lost);
    long t1 = System.nanoTime();
    List<Proc> again = awaitHolders(alive, "kept-thrice", 3, 90);
    assertEquals(List.of(), holders(List.of(full), "kept-thrice"), "the full host never asked");
    assertTrue(!Files.readString(full.log).contains("store quota of"),
        "the full host never tried to download it");
    System.out.printf("replicas: a lost copy replaced %.1f s after kill -9 (host-ttl 8 s)%n",
        (System.nanoTime() - t1) / 1e9);
    for (Proc p : again) {
      assertEquals(sha, EndToEndIT.sha256(taskDir(p, "kept-thrice").resolve("data")), p.name);
    }
    awaitStat(daemons.get(0), "kept-thrice", "\"replicasWanted\":3,\"replicasHeld\":3", 20);
    CliResult bad = cli(daemons.get(0), "import", "-i", "too-many", "--persistent-replica-count",
        "0", src.toString());
    assertEquals(1, bad.exit(), bad.toString());
    assertTrue(bad.err().contains("replica count"), bad.toString());
  }
}
