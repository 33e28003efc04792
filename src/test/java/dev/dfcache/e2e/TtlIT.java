package dev.dfcache.e2e;

import static dev.dfcache.e2e.LocalCluster.cli;
import static dev.dfcache.e2e.NetworkDeleteIT.awaitGone;
import static dev.dfcache.e2e.NetworkDeleteIT.ok;
import static dev.dfcache.e2e.NetworkDeleteIT.taskDir;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
 * {@code dfcache import --ttl}: when the TTL runs out every holder (the importer and those that
 * downloaded it) drops the task's files, and stat fails everywhere; a task without a TTL stays.
 */
class TtlIT {
  LocalCluster cluster;
  Path work;

  @BeforeEach
  void setUp() throws Exception {
    cluster = LocalCluster.inTempDir("dfcache-ttl");
    work = cluster.work();
    cluster.setJvmOptions("-Ddfcache.daemon.expiry-check-interval=1s");
  }

  @AfterEach
  void tearDown() {
    cluster.close();
  }

  @Test
  void aTaskWhoseTtlRanOutIsGoneFromEveryHolderAndOneWithoutStays() throws Exception {
    Proc scheduler = cluster.scheduler("scheduler");
    Proc a = cluster.daemon("a", scheduler.grpc());
    Proc b = cluster.daemon("b", scheduler.grpc());
    byte[] data = new byte[9 << 20];
    new Random(3).nextBytes(data);
    Path src = Files.write(work.resolve("src"), data);
    long t0 = System.nanoTime();
    ok(cli(a, "import", "-i", "short-lived", "--ttl", "8s", src.toString()));
    ok(cli(a, "import", "-i", "kept", src.toString()));
    ok(cli(b, "export", "-i", "short-lived", "-O", work.resolve("b.out").toString()));
    ok(cli(b, "export", "-i", "kept", "-O", work.resolve("kept.out").toString()));
    assertTrue(Files.exists(taskDir(b, "short-lived")), "b holds a copy");
    // dfcache ls shows both, with the time left on the short-lived one only
    CliResult listed = cli(b, "ls");
    ok(listed);
    assertTrue(listed.out().matches("(?s).*short-lived\\s+-\\s+9\\.0 MiB\\s+\\d+s\\s+\\d+s.*")
        && listed.out().matches("(?s).*kept\\s+-\\s+9\\.0 MiB\\s+\\d+s\\s+-.*")
        && listed.out().contains("2 tasks"), listed.out());
    CliResult asJson = cli(b, "ls", "--json");
    assertTrue(asJson.out().startsWith("{\"ok\":true,\"command\":\"ls\",\"tasks\":[{\"cid\":")
        && asJson.out().contains("\"expiresAt\":0"), asJson.out());

    for (Proc p : List.of(a, b)) {
      awaitGone(p, "short-lived", Duration.ofSeconds(30));
    }
    double took = (System.nanoTime() - t0) / 1e9;
    assertTrue(took >= 7.5, "gone only once the TTL ran out, not after " + took + " s");
    System.out.printf("ttl 8s: files gone from both holders %.1f s after the import%n", took);
    for (Proc p : List.of(a, b)) {
      assertEquals(1, cli(p, "stat", "-i", "short-lived").exit(), p.name + ": stat after TTL");
      ok(cli(p, "stat", "-i", "kept"));
      assertTrue(Files.exists(taskDir(p, "kept")));
    }
    assertTrue(Files.exists(work.resolve("b.out")), "an exported file is the user's");
    assertTrue(cli(b, "ls").out().contains("1 task\n"), "only the kept one is listed");
    // imported again, it lives again
    ok(cli(b, "import", "-i", "short-lived", "--ttl", "1h", src.toString()));
    ok(cli(a, "stat", "-i", "short-lived"));
  }

  @Test
  void aTtlOutOfRangeIsRefusedAndNothingIsStored() throws Exception {
    Proc a = cluster.standaloneDaemon("a");
    Path src = Files.write(work.resolve("small"), "x".getBytes());
    for (String bad : List.of("500ms", "400d", "soon")) {
      CliResult r = cli(a, "import", "-i", "bad-ttl", "--ttl", bad, src.toString());
      assertEquals(1, r.exit(), r.toString());
      assertTrue(r.err().startsWith("Error:"), r.toString());
      assertTrue(!Files.exists(taskDir(a, "bad-ttl")), "nothing stored for --ttl " + bad);
    }
  }
}
