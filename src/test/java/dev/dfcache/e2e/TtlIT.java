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
    ok(cli(a, "import", "-i", "short-lived", "--ttl", "20s", src.toString()));
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
    assertTrue(took >= 19.5, "gone only once the TTL ran out, not after " + took + " s");
    System.out.printf("ttl 20s: files gone from both holders %.1f s after the import%n", took);
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

  /**
   * Between the TTL running out and the sweep that removes the files (here an hour apart), the
   * task is served to no one: no piece upload, no stat, no export, although its files are there.
   */
  @Test
  void anExpiredTaskIsNeverServedEvenBeforeItsFilesAreSwept() throws Exception {
    cluster.setJvmOptions("-Ddfcache.daemon.expiry-check-interval=1h");
    Proc scheduler = cluster.scheduler("scheduler");
    Proc a = cluster.daemon("a", scheduler.grpc());
    Path src = Files.write(work.resolve("brief"), new byte[100_000]);
    ok(cli(a, "import", "-i", "brief", "--ttl", "20s", src.toString()));
    String taskId = dev.dfcache.common.TaskIds.taskId(
        dev.dfcache.common.TaskIds.urlForCid("brief"),
        dev.dfcache.api.common.UrlMeta.getDefaultInstance());
    java.net.http.HttpRequest piece = java.net.http.HttpRequest.newBuilder(java.net.URI.create(
            "http://127.0.0.1:" + a.uploadPort() + "/download/" + taskId.substring(0, 3) + "/"
                + taskId + "?peerId=ttl-it"))
        .header("Range", "bytes=0-99").build();
    var http = LocalCluster.plainHttp();
    // when it expires, as the daemon recorded it (a slow machine must not make it look early)
    String meta = Files.readString(taskDir(a, "brief").resolve("meta.json"));
    java.util.regex.Matcher at = java.util.regex.Pattern
        .compile("\"expiresAtMillis\"\\s*:\\s*(\\d+)").matcher(meta);
    assertTrue(at.find(), meta);
    long expiresAt = Long.parseLong(at.group(1));
    int before = http.send(piece, java.net.http.HttpResponse.BodyHandlers.discarding())
        .statusCode();
    if (System.currentTimeMillis() < expiresAt) {
      assertEquals(206, before, "served while it lives");
    }
    Thread.sleep(Math.max(0, expiresAt + 300 - System.currentTimeMillis()));
    assertTrue(Files.exists(taskDir(a, "brief")), "not swept yet: the check runs hourly");
    var after = http.send(piece, java.net.http.HttpResponse.BodyHandlers.ofString());
    assertEquals(404, after.statusCode(), after.body());
    assertTrue(after.body().contains("not held here"), after.body());
    assertEquals(1, cli(a, "stat", "-l", "-i", "brief").exit(), "stat of an expired task");
    CliResult export = cli(a, "export", "-l", "-i", "brief", "-O",
        work.resolve("brief.out").toString());
    assertEquals(1, export.exit(), export.toString());
    assertTrue(!Files.exists(work.resolve("brief.out")));
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
