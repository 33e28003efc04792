package dev.dfcache.e2e;

import static dev.dfcache.e2e.LocalCluster.cli;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import dev.dfcache.api.common.PieceInfo;
import dev.dfcache.api.common.PiecePacket;
import dev.dfcache.api.common.UrlMeta;
import dev.dfcache.api.peer.HeartbeatRequest;
import dev.dfcache.api.peer.PeerSchedulerClient;
import dev.dfcache.api.scheduler.AnnounceTaskRequest;
import dev.dfcache.api.scheduler.PeerHost;
import dev.dfcache.api.scheduler.SchedulerClient;
import dev.dfcache.common.HostPort;
import dev.dfcache.common.TaskIds;
import dev.dfcache.e2e.LocalCluster.CliResult;
import dev.dfcache.e2e.LocalCluster.Proc;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.grpc.GrpcClientSettings;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A {@code sha256:} cid means those bytes. A squatter, a raw gRPC client of the public scheduler
 * API (plaintext: the scheduler trusts any caller), announces a cid with other bytes before the
 * owner imports it, keeps its host alive with heartbeats and serves its bytes over HTTP as a
 * parent does. The owner's import still succeeds; a downloader fetches the squatter's bytes
 * first (its group was announced first), finds that they do not hash to the cid, reports the
 * squatter and gets the owner's bytes; a later downloader gets the verified group at once. When
 * the squatter is the only holder, the export fails with a clear error and leaves no output.
 */
class CidSquattingIT {
  static final int MIB = 1 << 20;
  LocalCluster cluster;
  Path work;
  ActorSystem system;
  HttpServer squatterUploads;
  final AtomicInteger squatterServed = new AtomicInteger();
  final ScheduledExecutorService beats = Executors.newSingleThreadScheduledExecutor();

  @BeforeEach
  void setUp() throws Exception {
    cluster = LocalCluster.inTempDir("dfcache-squat");
    work = cluster.work();
    system = ActorSystem.create("squatter");
  }

  @AfterEach
  void tearDown() {
    beats.shutdownNow();
    if (squatterUploads != null) {
      squatterUploads.stop(0);
    }
    system.terminate();
    cluster.close();
  }

  static byte[] random(long seed, int size) {
    byte[] data = new byte[size];
    new Random(seed).nextBytes(data);
    return data;
  }

  static String sha256(byte[] data) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
  }

  /** Serves {@code bytes} for any task, with one Range, as a parent's upload server does. */
  int serve(byte[] bytes) throws Exception {
    squatterUploads = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    Pattern range = Pattern.compile("bytes=(\\d+)-(\\d+)");
    squatterUploads.createContext("/download/", exchange -> {
      squatterServed.incrementAndGet();
      Matcher m = range.matcher(String.valueOf(exchange.getRequestHeaders().getFirst("Range")));
      int from = m.matches() ? Integer.parseInt(m.group(1)) : 0;
      int to = m.matches() ? Math.min(bytes.length - 1, Integer.parseInt(m.group(2)))
          : bytes.length - 1;
      exchange.sendResponseHeaders(206, to - from + 1);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(bytes, from, to - from + 1);
      }
    });
    squatterUploads.start();
    return squatterUploads.getAddress().getPort();
  }

  /**
   * Announces {@code cid} as held by the squatter with {@code bytes} (one piece), and keeps its
   * host alive with heartbeats.
   */
  void squat(Proc scheduler, String cid, byte[] bytes, int uploadPort) throws Exception {
    HostPort at = HostPort.parse(scheduler.grpc());
    GrpcClientSettings settings =
        GrpcClientSettings.connectToServiceAt(at.host(), at.port(), system).withTls(false);
    SchedulerClient client = SchedulerClient.create(settings, system);
    PeerSchedulerClient peers = PeerSchedulerClient.create(settings, system);
    PeerHost host = PeerHost.newBuilder().setId("squatter").setIp("127.0.0.1")
        .setRpcPort(uploadPort).setDownPort(uploadPort).setHostname("squatter").build();
    String url = TaskIds.urlForCid(cid);
    client.announceTask(AnnounceTaskRequest.newBuilder()
            .setTaskId(TaskIds.taskId(url, UrlMeta.getDefaultInstance()))
            .setUrl(url)
            .setPeerHost(host)
            .setFresh(true)
            .setPiecePacket(PiecePacket.newBuilder().setContentLength(bytes.length)
                .setTotalPiece(1).addPieceInfos(PieceInfo.newBuilder().setPieceNum(0)
                    .setRangeSize(bytes.length).setPieceMd5(sha256(bytes))))
            .build())
        .toCompletableFuture().get(30, TimeUnit.SECONDS);
    beats.scheduleWithFixedDelay(() -> peers.heartbeat(HeartbeatRequest.newBuilder()
            .setHost(host).setUploadLimit(100).build()), 0, 1, TimeUnit.SECONDS);
  }

  static void ok(CliResult r) {
    assertEquals(0, r.exit(), r.toString());
  }

  @Test
  void theOwnersImportWinsAndDownloadersRejectTheSquattersBytes() throws Exception {
    Proc scheduler = cluster.scheduler("scheduler");
    Proc a = cluster.daemon("a", scheduler.grpc());
    Proc b = cluster.daemon("b", scheduler.grpc());
    Proc c = cluster.daemon("c", scheduler.grpc());
    byte[] x = random(1, MIB + 17);
    byte[] other = random(2, MIB + 17); // same size: only the digest tells them apart
    String cid = "sha256:" + sha256(x);
    squat(scheduler, cid, other, serve(other));

    Path src = Files.write(work.resolve("x"), x);
    ok(cli(a, "import", "-i", cid, src.toString())); // not kept out by the squatter's announce

    ok(cli(b, "export", "-i", cid, "-O", work.resolve("b.out").toString()));
    assertEquals(sha256(x), sha256(Files.readAllBytes(work.resolve("b.out"))));
    assertTrue(squatterServed.get() >= 1, "b tried the squatter's group first, and rejected it");
    String bLog = Files.readString(b.log);
    assertTrue(bLog.contains("are not " + cid), bLog);

    // b verified the owner's group: c is offered it first and never asks the squatter
    int servedBefore = squatterServed.get();
    ok(cli(c, "export", "-i", cid, "-O", work.resolve("c.out").toString()));
    assertEquals(sha256(x), sha256(Files.readAllBytes(work.resolve("c.out"))));
    assertEquals(servedBefore, squatterServed.get());
  }

  @Test
  void anExportWhoseOnlyHolderIsASquatterFailsAndLeavesNoOutput() throws Exception {
    Proc scheduler = cluster.scheduler("scheduler");
    Proc b = cluster.daemon("b", scheduler.grpc());
    byte[] x = random(3, 300_000);
    byte[] other = random(4, 300_000);
    String cid = "sha256:" + sha256(x);
    squat(scheduler, cid, other, serve(other));

    Path outDir = Files.createDirectories(work.resolve("out"));
    CliResult r = cli(b, "export", "-i", cid, "-O", outDir.resolve("x.out").toString());
    assertTrue(r.exit() != 0, r.toString());
    assertTrue(r.err().contains("no peer holds the content of " + cid), r.toString());
    assertTrue(squatterServed.get() >= 1);
    try (var left = Files.list(outDir)) {
      assertEquals(List.of(), left.toList(), "no output, no partial file");
    }
    assertFalse(Files.exists(outDir.resolve("x.out")));
    // nor a copy kept to serve: asking again fetches and fails again
    r = cli(b, "stat", "-i", cid, "--local");
    assertTrue(r.exit() != 0, r.toString());
  }
}
