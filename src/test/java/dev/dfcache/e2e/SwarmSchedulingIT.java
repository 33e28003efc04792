package dev.dfcache.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dfcache.api.common.PieceInfo;
import dev.dfcache.api.common.PiecePacket;
import dev.dfcache.api.common.SizeScope;
import dev.dfcache.api.common.UrlMeta;
import dev.dfcache.api.dfdaemon.ExportTaskRequest;
import dev.dfcache.api.dfdaemon.ImportTaskRequest;
import dev.dfcache.api.scheduler.PeerPacket;
import dev.dfcache.api.scheduler.RegisterResult;
import dev.dfcache.common.HostPort;
import dev.dfcache.common.TaskIds;
import dev.dfcache.e2e.LocalCluster.Proc;
import dev.dfcache.rpc.Channels;
import dev.dfcache.rpc.DaemonRpc;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * How downloads are scheduled, with real processes: the Dragonfly v1 calls as a stock v1 peer
 * makes them, several parents used by one export, and a parent killed mid-download.
 */
class SwarmSchedulingIT {
  static final int MIB = 1 << 20;
  static final Duration CALL = Duration.ofMinutes(2);
  LocalCluster cluster;
  Path work;
  final Channels channels = new Channels();
  final HttpClient http = HttpClient.newHttpClient();

  @BeforeEach
  void setUp() throws Exception {
    cluster = LocalCluster.inTempDir("dfcache-swarm");
    work = cluster.work();
  }

  @AfterEach
  void tearDown() {
    channels.close();
    cluster.close();
  }

  Path randomFile(String name, int size) throws Exception {
    byte[] data = new byte[size];
    new Random(name.hashCode()).nextBytes(data);
    return Files.write(work.resolve(name), data);
  }

  void importOn(Proc p, String cid, Path file) {
    DaemonRpc.IMPORT_TASK.call(channels.local(p.socket), ImportTaskRequest
        .newBuilder().setUrl(TaskIds.urlForCid(cid)).setPath(file.toString()).build(), CALL);
  }

  CompletableFuture<Void> export(Proc p, String cid, Path out, double limit) {
    return DaemonRpc.EXPORT_TASK.callAsync(channels.local(p.socket),
            ExportTaskRequest.newBuilder().setUrl(TaskIds.urlForCid(cid))
                .setOutput(out.toString()).setLimit(limit).build(), CALL)
        .toCompletableFuture().thenApply(r -> null);
  }

  static String taskIdOf(String cid) {
    return TaskIds.taskId(TaskIds.urlForCid(cid), UrlMeta.getDefaultInstance());
  }

  static String id(Proc p) {
    return "127.0.0.1-" + p.grpcPort;
  }

  static String sha256(byte[] data) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
  }

  byte[] get(String uploadAddress, String taskId, long start, long size) throws Exception {
    HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(URI.create("http://"
                + uploadAddress + "/download/" + taskId.substring(0, 3) + "/" + taskId
                + "?peerId=v1-test"))
            .header("Range", "bytes=" + start + "-" + (start + size - 1)).build(),
        HttpResponse.BodyHandlers.ofByteArray());
    assertEquals(206, r.statusCode(), new String(r.body()));
    return r.body();
  }

  /**
   * A stock v1 peer: RegisterPeerTask (NORMAL), ReportPieceResult answers with a PeerPacket whose
   * main peer holds the task, GetPieceTasks on it gives the piece list and its upload address,
   * and every piece fetched from there matches its digest and the file. One-piece tasks answer
   * SMALL with the piece and its holder, empty ones EMPTY.
   */
  @Test
  void aStockV1PeerRegistersGetsAHolderAndDownloadsEveryPiece() throws Exception {
    Proc scheduler = cluster.scheduler("scheduler");
    Proc a = cluster.daemon("a", scheduler.grpc());
    Proc b = cluster.daemon("b", scheduler.grpc());
    Path src = randomFile("big", 24 * MIB + 123);
    importOn(a, "v1-big", src);
    export(b, "v1-big", work.resolve("b.out"), 0).join();
    Path small = randomFile("small", MIB);
    importOn(a, "v1-small", small);
    importOn(a, "v1-empty", Files.write(work.resolve("empty"), new byte[0]));

    HostPort at = HostPort.parse(scheduler.grpc());
    // Dragonfly's ids: the peer's "<ip>-<pid>-<uuid>" and a host id of its own
    String uuid = java.util.UUID.randomUUID().toString();
    String peerId = "127.0.0.1-4242-" + uuid;
    try (V1Peer v1 = new V1Peer(peerId, "v1-host-" + uuid, at.host(), at.port())) {
      String taskId = taskIdOf("v1-big");
      RegisterResult registered = v1.register(taskId);
      assertEquals(SizeScope.NORMAL, registered.getSizeScope());
      assertEquals(taskId, registered.getTaskId());
      v1.openReports(taskId);
      PeerPacket packet = v1.nextPacket(Duration.ofSeconds(10));
      assertTrue(List.of(id(a), id(b)).contains(packet.getMainPeer().getPeerId()),
          packet.toString());
      assertEquals(taskId, packet.getTaskId());
      assertEquals(peerId, packet.getSrcPid());

      PiecePacket pieces = v1.pieceTasks(packet.getMainPeer(), taskId);
      assertEquals(7, pieces.getTotalPiece());
      assertEquals(7, pieces.getPieceInfosCount());
      ByteArrayOutputStream whole = new ByteArrayOutputStream();
      for (PieceInfo info : pieces.getPieceInfosList()) {
        byte[] bytes = get(pieces.getDstAddr(), taskId, info.getRangeStart(),
            info.getRangeSize());
        assertEquals(info.getPieceMd5(), sha256(bytes), "piece " + info.getPieceNum());
        whole.write(bytes);
        v1.report(taskId, info.getPieceNum(), packet.getMainPeer().getPeerId(), true);
      }
      assertEquals(sha256(Files.readAllBytes(src)), sha256(whole.toByteArray()));
      v1.endReports(taskId);
      v1.finished(taskId, true); // ReportPeerResult by peer id: the scheduler knows it
      v1.leave(taskId);

      String smallId = taskIdOf("v1-small");
      RegisterResult one = v1.register(smallId);
      assertEquals(SizeScope.SMALL, one.getSizeScope());
      assertEquals(id(a), one.getSinglePiece().getDstPid());
      byte[] piece = get(one.getSinglePiece().getDstAddr(), smallId, 0,
          one.getSinglePiece().getPieceInfo().getRangeSize());
      assertEquals(one.getSinglePiece().getPieceInfo().getPieceMd5(), sha256(piece));
      assertEquals(sha256(Files.readAllBytes(small)), sha256(piece));

      String emptyId = taskIdOf("v1-empty");
      assertEquals(SizeScope.EMPTY, v1.register(emptyId).getSizeScope());
    }
  }

  /** With three holders, one export takes pieces from each of them. */
  @Test
  void oneExportUsesEveryHolder() throws Exception {
    Proc scheduler = cluster.scheduler("scheduler");
    Proc a = cluster.daemon("a", scheduler.grpc());
    Proc b = cluster.daemon("b", scheduler.grpc());
    Proc c = cluster.daemon("c", scheduler.grpc());
    Proc d = cluster.daemon("d", scheduler.grpc());
    Path src = randomFile("src", 64 * MIB);
    importOn(a, "three-holders", src);
    CompletableFuture.allOf(export(b, "three-holders", work.resolve("b.out"), 0),
        export(c, "three-holders", work.resolve("c.out"), 0)).join();
    export(d, "three-holders", work.resolve("d.out"), 0).join();
    assertEquals(EndToEndIT.sha256(src), EndToEndIT.sha256(work.resolve("d.out")));

    Map<String, Integer> byParent = piecesByParent(d);
    for (Proc holder : List.of(a, b, c)) {
      assertTrue(byParent.getOrDefault(id(holder), 0) > 0,
          "pieces from " + holder.name + ": " + byParent);
    }
    assertEquals(16, byParent.values().stream().mapToInt(Integer::intValue).sum(), byParent
        .toString());
    // every upload slot taken is given back (a lost one would make a holder look full)
    for (Proc p : List.of(a, b, c)) {
      long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
      while (LocalCluster.metric(p, "dfcache_daemon_active_uploads") > 0
          && System.nanoTime() < deadline) {
        Thread.sleep(200);
      }
      assertEquals(0, LocalCluster.metric(p, "dfcache_daemon_active_uploads"), p.name);
    }
  }

  /** The "pieces by parent: {id=n, ...}" of the last download a daemon logged. */
  static Map<String, Integer> piecesByParent(Proc daemon) throws Exception {
    Matcher line = Pattern.compile("pieces by parent: \\{([^}]*)\\}")
        .matcher(Files.readString(daemon.log));
    String last = null;
    while (line.find()) {
      last = line.group(1);
    }
    assertTrue(last != null, "no download logged by " + daemon.name);
    Map<String, Integer> out = new HashMap<>();
    for (String entry : last.split(",\\s*")) {
      String[] kv = entry.split("=");
      out.put(kv[0].trim(), Integer.parseInt(kv[1].trim()));
    }
    return out;
  }

  /**
   * The main parent dies mid-download: a stock v1 peer that reports the failure gets a new
   * PeerPacket naming another main peer, and a dfcache export that was using it completes
   * intact from the other holder, having heard new parents.
   */
  @Test
  void killingTheMainParentBringsANewPacketAndTheExportCompletesIntact() throws Exception {
    Proc scheduler = cluster.scheduler("scheduler");
    Proc a = cluster.daemon("a", scheduler.grpc());
    Proc b = cluster.daemon("b", scheduler.grpc());
    Proc c = cluster.daemon("c", scheduler.grpc());
    Path src = randomFile("src", 96 * MIB);
    importOn(a, "main-dies", src);
    export(b, "main-dies", work.resolve("b.out"), 0).join();
    String taskId = taskIdOf("main-dies");

    // c downloads slowly (24 MiB/s: about 4 s), from both holders
    double packetsBefore = LocalCluster.metric(c, "dfcache_daemon_parent_packets_total");
    CompletableFuture<Void> slow = export(c, "main-dies", work.resolve("c.out"), 24.0 * MIB);

    HostPort at = HostPort.parse(scheduler.grpc());
    try (V1Peer v1 = new V1Peer("v1-watcher", at.host(), at.port())) {
      v1.register(taskId);
      v1.openReports(taskId);
      String main = v1.nextPacket(Duration.ofSeconds(10)).getMainPeer().getPeerId();
      Proc victim = main.equals(id(a)) ? a : b;
      Proc survivor = victim == a ? b : a;
      Thread.sleep(1500);
      cluster.kill(victim);
      v1.report(taskId, 0, main, false);
      // packets pushed for other reasons (c's first pieces) may come first; within a few
      // seconds one must name another main peer
      long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      PeerPacket next;
      do {
        next = v1.nextPacket(Duration.ofSeconds(10));
      } while (next.getMainPeer().getPeerId().equals(main) && System.nanoTime() < deadline);
      assertNotEquals(main, next.getMainPeer().getPeerId(), next.toString());
      assertTrue(V1Peer.parentIds(next).contains(id(survivor)), next.toString());
    }
    slow.join();
    assertEquals(EndToEndIT.sha256(src), EndToEndIT.sha256(work.resolve("c.out")));
    assertTrue(LocalCluster.metric(c, "dfcache_daemon_parent_packets_total") - packetsBefore >= 2,
        "c heard new parents after the kill");
  }
}
