package dev.dfcache.e2e;

import static dev.dfcache.e2e.LocalCluster.cli;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dfcache.e2e.LocalCluster.CliResult;
import dev.dfcache.e2e.LocalCluster.Proc;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The whole slice with real processes: 1 scheduler and 3 dfdaemons (A, B, C) on 127.0.0.1,
 * driven through the real dfcache CLI, every byte checked with SHA-256.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class EndToEndIT {
  static final int MIB = 1 << 20;
  Path work;
  LocalCluster cluster;
  Proc a;
  Proc b;
  Proc c;

  @BeforeAll
  void startCluster() throws Exception {
    cluster = LocalCluster.inTempDir("dfcache-e2e");
    work = cluster.work();
    configure(cluster);
    Proc scheduler = cluster.scheduler("scheduler");
    a = cluster.daemon("daemon-a", scheduler.grpc());
    b = cluster.daemon("daemon-b", scheduler.grpc());
    c = cluster.daemon("daemon-c", scheduler.grpc());
  }

  /** Before any process starts: EndToEndTlsIT turns mutual TLS on. */
  void configure(LocalCluster cluster) throws Exception {}

  @AfterAll
  void stopCluster() throws IOException {
    cluster.close();
    sockets = javax.net.SocketFactory.getDefault();
  }

  /** How rawGet reaches an upload server: plain TCP, or TLS with a client certificate. */
  static javax.net.SocketFactory sockets = javax.net.SocketFactory.getDefault();

  Path randomFile(String name, long size) throws IOException {
    Path p = work.resolve(name);
    Random random = new Random(size * 31 + name.hashCode());
    byte[] buf = new byte[MIB];
    try (OutputStream out = Files.newOutputStream(p)) {
      for (long left = size; left > 0; left -= buf.length) {
        random.nextBytes(buf);
        out.write(buf, 0, (int) Math.min(buf.length, left));
      }
    }
    return p;
  }

  static String sha256(Path p) throws Exception {
    MessageDigest md = MessageDigest.getInstance("SHA-256");
    try (InputStream in = Files.newInputStream(p)) {
      byte[] buf = new byte[1 << 16];
      for (int n; (n = in.read(buf)) > 0; ) {
        md.update(buf, 0, n);
      }
    }
    return HexFormat.of().formatHex(md.digest());
  }

  static void ok(CliResult r) {
    assertEquals(0, r.exit(), r.toString());
  }

  static void notFound(CliResult r) {
    assertEquals(1, r.exit(), r.toString());
    assertTrue(r.err().startsWith("Error: "), r.toString());
    assertTrue(r.err().contains("does not exist"), r.toString());
  }

  static void failsWith(CliResult r, String text) {
    assertEquals(1, r.exit(), r.toString());
    assertTrue(r.err().startsWith("Error: "), r.toString());
    assertTrue(r.err().contains(text), "expected '" + text + "' in " + r);
  }

  @ParameterizedTest(name = "{0} bytes")
  @ValueSource(longs = {0, 1, 4 * MIB - 1, 4 * MIB, 4 * MIB + 1, 100 * MIB})
  void importOnOneNodeExportOnTwoOthersAtOnce(long size) throws Exception {
    String cid = "size-" + size;
    Path src = randomFile(cid, size);
    String expected = sha256(src);

    ok(cli(a, "import", "-i", cid, src.toString()));
    ok(cli(b, "stat", "-i", cid));
    notFound(cli(b, "stat", "-i", cid, "--local"));

    Path outB = work.resolve(cid + ".b");
    Path outC = work.resolve(cid + ".c");
    CompletableFuture<CliResult> onB = CompletableFuture.supplyAsync(() -> run(b, "export", "-i", cid, "-O", outB.toString()));
    CompletableFuture<CliResult> onC = CompletableFuture.supplyAsync(() -> run(c, "export", "-i", cid, outC.toString()));
    ok(onB.get());
    ok(onC.get());
    assertEquals(expected, sha256(outB), "export on B");
    assertEquals(expected, sha256(outC), "export on C");
    ok(cli(b, "stat", "-i", cid, "--local"));
  }

  static CliResult run(Proc daemon, String... args) {
    try {
      return cli(daemon, args);
    } catch (Exception e) {
      throw new RuntimeException(e);
    }
  }

  @Test
  void aTagMakesADifferentTask() throws Exception {
    Path src = randomFile("tagged", 10_000);
    ok(cli(a, "import", "-i", "tagged", "-t", "v1", src.toString()));
    ok(cli(b, "stat", "-i", "tagged", "-t", "v1"));
    notFound(cli(b, "stat", "-i", "tagged", "-t", "v2"));
    notFound(cli(b, "stat", "-i", "tagged"));
    Path out = work.resolve("tagged.v2");
    notFound(cli(b, "export", "-i", "tagged", "-t", "v2", "-O", out.toString()));
    assertFalse(Files.exists(out));
  }

  @Test
  void afterALocalDeleteOnTheImporterOthersStillServeIt() throws Exception {
    Path src = randomFile("deleted", 9 * MIB);
    String expected = sha256(src);
    ok(cli(a, "import", "-i", "deleted", src.toString()));
    Path outB = work.resolve("deleted.b");
    ok(cli(b, "export", "-i", "deleted", "-O", outB.toString()));
    ok(cli(a, "delete", "--local", "-i", "deleted"));
    notFound(cli(a, "stat", "-i", "deleted", "--local"));
    ok(cli(a, "delete", "-l", "-i", "deleted"));
    ok(cli(c, "stat", "-i", "deleted"));
    Path again = work.resolve("deleted.a-again");
    ok(cli(a, "export", "-i", "deleted", "-O", again.toString()));
    assertEquals(expected, sha256(again));
  }

  @Test
  void unknownCidIsNotFoundAndWritesNothing() throws Exception {
    notFound(cli(b, "stat", "-i", "never-imported"));
    Path out = work.resolve("never.out");
    notFound(cli(b, "export", "-i", "never-imported", "-O", out.toString()));
    assertFalse(Files.exists(out));
    notFound(cli(b, "export", "-i", "never-imported", "--local", "-O", out.toString()));
  }

  @Test
  void anExistingOutputIsNotClobbered() throws Exception {
    Path src = randomFile("noclobber", 1000);
    ok(cli(a, "import", "-i", "noclobber", src.toString()));
    Path out = Files.writeString(work.resolve("existing.out"), "keep me");
    failsWith(cli(a, "export", "-i", "noclobber", "-O", out.toString()), "already exists");
    assertEquals("keep me", Files.readString(out));
  }

  @Test
  void importOfAnExistingTaskIsFine() throws Exception {
    Path src = randomFile("twice", 5000);
    ok(cli(a, "import", "-i", "twice", src.toString()));
    ok(cli(a, "import", "-i", "twice", src.toString()));
    ok(cli(a, "stat", "-i", "twice", "--local"));
  }

  @Test
  void aSha256CidIsVerified() throws Exception {
    Path src = randomFile("verified", 5000);
    String cid = "sha256:" + sha256(src);
    ok(cli(a, "import", "-i", cid, src.toString()));
    failsWith(cli(a, "import", "-i", "sha256:" + "0".repeat(64), src.toString()),
        "digest mismatch");
    notFound(cli(a, "stat", "-i", "sha256:" + "0".repeat(64), "--local"));
  }

  /** No -i: the file's SHA-256 names it, so the same bytes are the same task on every node. */
  @Test
  void importWithoutACidNamesTheFileByItsContent() throws Exception {
    Path src = randomFile("content-addressed", 3 * MIB + 11);
    String cid = "sha256:" + sha256(src);
    CliResult imported = cli(a, "import", src.toString());
    ok(imported);
    assertTrue(imported.out().contains("imported " + cid), imported.toString());
    Path out = work.resolve("content-addressed.out");
    ok(cli(b, "export", "-i", cid, "-O", out.toString()));
    assertEquals(sha256(src), sha256(out));
    Path same = Files.copy(src, work.resolve("content-addressed.copy"));
    ok(cli(c, "import", same.toString()));
    ok(cli(c, "stat", "-i", cid, "--local"));
    CliResult noCid = cli(a, "stat");
    assertEquals(1, noCid.exit(), noCid.toString());
    assertTrue(noCid.err().contains("--cid"), noCid.toString());
  }

  @Test
  void helpTeaches() throws Exception {
    CliResult r = cli(a, "--help");
    ok(r);
    assertTrue(r.out().contains("import") && r.out().contains("export"), r.out());
    CliResult sub = cli(a, "export", "--help");
    ok(sub);
    assertTrue(sub.out().contains("--output"), sub.out());
  }

  // ---- bad input: a clear error, and nothing written or lost ----

  @Test
  void importOfAMissingFileOrADirectoryFails() throws Exception {
    failsWith(cli(a, "import", "-i", "missing", work.resolve("no-such-file").toString()),
        "does not exist");
    failsWith(cli(a, "import", "-i", "dir", work.toString()), "directory");
    notFound(cli(a, "stat", "-i", "missing", "--local"));
    notFound(cli(a, "stat", "-i", "dir", "--local"));
  }

  @Test
  void emptyOrBlankCidIsRejected() throws Exception {
    Path src = randomFile("blank", 100);
    failsWith(cli(a, "import", "-i", "", src.toString()), "cid");
    failsWith(cli(a, "import", "-i", "   ", src.toString()), "cid");
    failsWith(cli(a, "stat", "-i", ""), "cid");
  }

  @Test
  void exportIntoAMissingDirectoryOrOntoADirectoryFails() throws Exception {
    Path src = randomFile("outputs", 1000);
    ok(cli(a, "import", "-i", "outputs", src.toString()));
    Path missingDir = work.resolve("no-such-dir").resolve("out");
    failsWith(cli(b, "export", "-i", "outputs", "-O", missingDir.toString()),
        "directory does not exist");
    assertFalse(Files.exists(missingDir.getParent()));
    Path dir = Files.createDirectories(work.resolve("a-dir"));
    failsWith(cli(b, "export", "-i", "outputs", "-O", dir.toString()), "is a directory");
    try (var s = Files.list(dir)) {
      assertEquals(0, s.count());
    }
  }

  @Test
  void theUploadServerServesByTaskIdOnly() throws Exception {
    Path src = randomFile("upload", 1000);
    ok(cli(a, "import", "-i", "upload", src.toString()));
    String id = dev.dfcache.common.TaskIds.taskId(dev.dfcache.common.TaskIds.urlForCid("upload"),
        dev.dfcache.api.common.UrlMeta.getDefaultInstance());
    int port = a.uploadPort();
    assertEquals(206, rawGet(port, "/download/" + id.substring(0, 3) + "/" + id, "bytes=0-99"));
    assertEquals(200, rawGet(port, "/download/" + id.substring(0, 3) + "/" + id, null));
    assertEquals(400, rawGet(port, "/download/xyz/" + "z".repeat(64), "bytes=0-1"));
    assertEquals(400, rawGet(port, "/download/" + id.substring(0, 3) + "/" + id.toUpperCase(), null));
    assertEquals(400, rawGet(port, "/download/bbb/" + id, "bytes=0-1"));
    int traversal = rawGet(port, "/download/../../../../etc/passwd", null);
    assertTrue(traversal == 400 || traversal == 404, "traversal answered " + traversal);
    assertEquals(404, rawGet(port, "/download/..%2f..%2fetc/passwd", null));
    assertEquals(416, rawGet(port, "/download/" + id.substring(0, 3) + "/" + id, "bytes=1000-1001"));
    assertEquals(416, rawGet(port, "/download/" + id.substring(0, 3) + "/" + id, "bytes=990-5000"));
    assertEquals(400, rawGet(port, "/download/" + id.substring(0, 3) + "/" + id, "bytes=0-1,5-6"));
    assertEquals(404, rawGet(port, "/download/" + "d".repeat(3) + "/" + "d".repeat(64), null));
  }

  @Test
  void grpcErrorsCarryDragonflyCodes() throws Exception {
    io.grpc.ManagedChannel ch = dev.dfcache.rpc.Channels.openLocal(a.socket);
    try {
      var meta = dev.dfcache.api.common.UrlMeta.getDefaultInstance();
      String url = dev.dfcache.common.TaskIds.urlForCid("grpc-unknown");
      var e = org.junit.jupiter.api.Assertions.assertThrows(io.grpc.StatusRuntimeException.class,
          () -> dev.dfcache.rpc.DaemonRpc.STAT_TASK.call(ch,
              dev.dfcache.api.dfdaemon.StatTaskRequest.newBuilder().setUrl(url).build(),
              java.time.Duration.ofSeconds(10)));
      assertEquals(io.grpc.Status.Code.UNKNOWN, e.getStatus().getCode());
      assertTrue(e.getStatus().getDescription().startsWith("[1404]"), e.getStatus().toString());
      byte[] details = e.getTrailers().get(io.grpc.Metadata.Key.of("grpc-status-details-bin",
          io.grpc.Metadata.BINARY_BYTE_MARSHALLER));
      var df = com.google.rpc.Status.parseFrom(details).getDetails(0)
          .unpack(dev.dfcache.api.common.GrpcDfError.class);
      assertEquals(dev.dfcache.api.common.Code.PeerTaskNotFound, df.getCode());

      for (String path : new String[] {"relative/file", "/tmp/../etc/passwd", ""}) {
        var bad = org.junit.jupiter.api.Assertions.assertThrows(
            io.grpc.StatusRuntimeException.class,
            () -> dev.dfcache.rpc.DaemonRpc.IMPORT_TASK.call(ch,
                dev.dfcache.api.dfdaemon.ImportTaskRequest.newBuilder().setUrl(url)
                    .setUrlMeta(meta).setPath(path).build(), java.time.Duration.ofSeconds(10)));
        assertTrue(bad.getStatus().getDescription().startsWith("[1400]"), path + ": " + bad);
      }
      var badOut = org.junit.jupiter.api.Assertions.assertThrows(
          io.grpc.StatusRuntimeException.class,
          () -> dev.dfcache.rpc.DaemonRpc.EXPORT_TASK.call(ch,
              dev.dfcache.api.dfdaemon.ExportTaskRequest.newBuilder().setUrl(url)
                  .setOutput("out/relative").build(), java.time.Duration.ofSeconds(10)));
      assertTrue(badOut.getStatus().getDescription().startsWith("[1400]"), badOut.toString());
      var badLimit = org.junit.jupiter.api.Assertions.assertThrows(
          io.grpc.StatusRuntimeException.class,
          () -> dev.dfcache.rpc.DaemonRpc.EXPORT_TASK.call(ch,
              dev.dfcache.api.dfdaemon.ExportTaskRequest.newBuilder().setUrl(url)
                  .setOutput(work.resolve("x").toString()).setLimit(-1).build(),
              java.time.Duration.ofSeconds(10)));
      assertTrue(badLimit.getStatus().getDescription().startsWith("[1400]"), badLimit.toString());
    } finally {
      ch.shutdownNow();
    }
  }

  /** A hand-written HTTP/1.1 GET, so that no client library normalizes the path. */
  static int rawGet(int port, String path, String range) throws IOException {
    try (java.net.Socket s = sockets.createSocket("127.0.0.1", port)) {
      s.setSoTimeout(10_000);
      String req = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
          + (range == null ? "" : "Range: " + range + "\r\n") + "Connection: close\r\n\r\n";
      s.getOutputStream().write(req.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
      String status = new java.io.BufferedReader(new java.io.InputStreamReader(
          s.getInputStream(), java.nio.charset.StandardCharsets.US_ASCII)).readLine();
      assertNotEquals(null, status);
      return Integer.parseInt(status.split(" ")[1]);
    }
  }
}
