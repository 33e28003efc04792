package dev.dfcache.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dfcache.e2e.LocalCluster;
import dev.dfcache.e2e.LocalCluster.Proc;
import dev.dfcache.metrics.PrometheusText;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Mutual TLS with --tls-dir: scheduler nodes form their cluster over Artery tls-tcp (a node
 * without a certificate of the CA never joins), and daemons call them over HTTPS with client
 * certificates (nobody else gets an answer). Certificates come from the certs command.
 */
class ClusterTlsIT {
  LocalCluster cluster;
  Path pki;
  Path foreign;

  @BeforeEach
  void setUp() throws Exception {
    cluster = LocalCluster.inTempDir("dfcache-cluster-tls");
    pki = cluster.work().resolve("pki");
    foreign = cluster.work().resolve("foreign");
    assertEquals(0, CertsCommand.run(pki.toString(), "127.0.0.1"));
    assertEquals(0, CertsCommand.run(foreign.toString(), "127.0.0.1"));
  }

  @AfterEach
  void tearDown() {
    cluster.close();
  }

  Proc node(String name, int clusterPort, int seedPort, Path tls) throws Exception {
    int grpc = LocalCluster.freePort();
    List<String> args = new java.util.ArrayList<>(List.of("scheduler", "--host", "127.0.0.1",
        "--grpc-port", "" + grpc, "--cluster-port", "" + clusterPort,
        "--seed-nodes", "127.0.0.1:" + seedPort));
    if (tls != null) {
      args.addAll(List.of("--tls-dir", tls.resolve("127.0.0.1").toString()));
    }
    return cluster.process(name, List.of(), args, Map.of(), "scheduler started", grpc,
        clusterPort);
  }

  /** Cluster members as a TLS node sees them (its port needs a client certificate). */
  double members(Proc scheduler) throws Exception {
    return members(scheduler, TlsFiles.context(pki.resolve("127.0.0.1")));
  }

  double members(Proc scheduler, javax.net.ssl.SSLContext tls) throws Exception {
    String body = HttpClient.newBuilder().sslContext(tls).build().send(HttpRequest.newBuilder(URI.create(
            "https://127.0.0.1:" + scheduler.grpcPort + "/metrics")).build(),
        HttpResponse.BodyHandlers.ofString()).body();
    return PrometheusText.parse(body).value("dfcache_scheduler_cluster_members");
  }

  void awaitMembers(Proc scheduler, double n) throws Exception {
    awaitMembers(scheduler, n, TlsFiles.context(pki.resolve("127.0.0.1")));
  }

  void awaitMembers(Proc scheduler, double n, javax.net.ssl.SSLContext tls) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (members(scheduler, tls) != n) {
      assertTrue(System.nanoTime() < deadline, scheduler.name + " never saw " + n + " members");
      Thread.sleep(250);
    }
  }

  @Test
  void onlyNodesWithACertificateOfTheCaJoin() throws Exception {
    int[] ports = LocalCluster.reservePorts(4);
    Proc first = node("tls-1", ports[0], ports[0], pki);
    node("tls-2", ports[1], ports[0], pki);
    awaitMembers(first, 2);
    node("plain", ports[2], ports[0], null);
    node("other-ca", ports[3], ports[0], foreign);
    Thread.sleep(10_000); // a plaintext join is retried every few seconds; none may succeed
    assertEquals(2, members(first));
    assertTrue(Files.readString(first.log).contains("mutual TLS"), "said at start");
  }

  /**
   * A fleet whose nodes hold certificates of their own (one CA, the scheduler role, no name in
   * common) forms one cluster; a node with a daemon's certificate of the same CA never joins,
   * and the node it knocked at says why.
   */
  @Test
  void nodesWithTheirOwnSchedulerCertificatesFormOneClusterAndADaemonCertificateDoesNot()
      throws Exception {
    Path fleet = cluster.work().resolve("fleet");
    assertEquals(0, CertsCommand.run("--role", "scheduler", fleet.toString(), "scheduler-1",
        "scheduler-2"));
    assertEquals(0, CertsCommand.run("--role", "dfdaemon", fleet.toString(), "dfdaemon"));
    int[] ports = LocalCluster.reservePorts(3);
    Proc first = nodeWith("own-1", ports[0], ports[0], fleet.resolve("scheduler-1"));
    Proc second = nodeWith("own-2", ports[1], ports[0], fleet.resolve("scheduler-2"));
    // the certificates name scheduler-1 and -2, not 127.0.0.1: ask with the CA's check alone
    TlsFiles.Identity asker = TlsFiles.load(fleet.resolve("dfdaemon"));
    javax.net.ssl.SSLContext caOnly = javax.net.ssl.SSLContext.getInstance("TLS");
    caOnly.init(asker.keys().getKeyManagers(),
        new javax.net.ssl.TrustManager[] {asker.checked(false, null)}, null);
    awaitMembers(first, 2, caOnly);
    awaitMembers(second, 2, caOnly);
    nodeWith("own-intruder", ports[2], ports[0], fleet.resolve("dfdaemon"));
    awaitLog(first, "TLS: refused a caller that presented a "
        + "certificate for [dfdaemon] (role dfdaemon): expected the role scheduler", 40);
    Thread.sleep(5_000); // joins are retried every few seconds; none may succeed
    assertEquals(2, members(first, caOnly));
    assertTrue(Files.readString(first.log).contains("only scheduler-role certificates"));
  }

  static void awaitLog(Proc p, String text, int seconds) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(seconds).toNanos();
    while (!Files.readString(p.log).contains(text)) {
      assertTrue(System.nanoTime() < deadline, p.name + " never logged '" + text + "'");
      Thread.sleep(200);
    }
  }

  Proc nodeWith(String name, int clusterPort, int seedPort, Path tls) throws Exception {
    int grpc = LocalCluster.freePort();
    return cluster.process(name, List.of(), List.of("scheduler", "--host", "127.0.0.1",
        "--grpc-port", "" + grpc, "--cluster-port", "" + clusterPort,
        "--seed-nodes", "127.0.0.1:" + seedPort, "--tls-dir", tls.toString()), Map.of(),
        "scheduler started", grpc, clusterPort);
  }

  @Test
  void unusableCertificatesStopTheStartWithAClearError() throws Exception {
    Path broken = Files.createDirectories(cluster.work().resolve("broken").resolve("127.0.0.1"));
    Files.copy(pki.resolve("127.0.0.1").resolve(TlsFiles.CA), broken.resolve(TlsFiles.CA));
    int[] ports = LocalCluster.reservePorts(1);
    org.junit.jupiter.api.Assertions.assertThrows(Exception.class,
        () -> node("broken", ports[0], ports[0], broken.getParent()), "it must exit");
    String log = Files.readString(findLog("broken"));
    assertTrue(log.contains("--tls-dir") && log.contains("tls.crt"), log);
  }

  /** The newest log of a process of that name (LocalCluster keeps them under target/it-logs). */
  static Path findLog(String name) throws Exception {
    try (var logs = Files.list(Path.of("target", "it-logs"))) {
      return logs.filter(p -> p.getFileName().toString().startsWith(name + "-"))
          .max(java.util.Comparator.comparing(p -> p.toFile().lastModified())).orElseThrow();
    }
  }

  /**
   * Daemons call their scheduler, each other's peer API and upload servers over mutual TLS
   * (import on one daemon, export on another); a plaintext client, a client of another CA and a
   * client without a certificate get nothing (but probes still reach /healthz).
   */
  @Test
  void daemonsReachTheirSchedulerOverMutualTlsAndNobodyElseDoes() throws Exception {
    Path ours = pki.resolve("127.0.0.1");
    int[] ports = LocalCluster.reservePorts(2);
    Proc scheduler = cluster.process("tls-scheduler", List.of(), List.of("scheduler", "--host",
        "127.0.0.1", "--grpc-port", "" + ports[0], "--cluster-port", "" + ports[1],
        "--tls-dir", ours.toString()), Map.of(), "scheduler up", ports[0], ports[1]);
    Proc a = daemon("tls-a", scheduler, ours);
    Proc b = daemon("tls-b", scheduler, ours);
    byte[] data = new byte[9 * 1024 * 1024 + 5];
    new java.util.Random(5).nextBytes(data);
    Path in = Files.write(cluster.work().resolve("tls-in"), data);
    Path out = cluster.work().resolve("tls-out");
    assertEquals(0, LocalCluster.cli(a, "import", "-i", "over-tls", in.toString()).exit());
    LocalCluster.CliResult exported =
        LocalCluster.cli(b, "export", "-i", "over-tls", "-O", out.toString());
    assertEquals(0, exported.exit(), exported.toString());
    assertTrue(java.util.Arrays.equals(data, Files.readAllBytes(out)));

    dev.dfcache.common.HostPort at = new dev.dfcache.common.HostPort("127.0.0.1", ports[0]);
    var stat = dev.dfcache.api.scheduler.StatTaskRequest.newBuilder().setTaskId("f".repeat(64))
        .build();
    Duration call = Duration.ofSeconds(10);
    try (dev.dfcache.rpc.Channels plain = new dev.dfcache.rpc.Channels();
        dev.dfcache.rpc.Channels theirs = new dev.dfcache.rpc.Channels(
            TlsFiles.grpcClient(foreign.resolve("127.0.0.1")));
        dev.dfcache.rpc.Channels mine = new dev.dfcache.rpc.Channels(TlsFiles.grpcClient(ours))) {
      for (dev.dfcache.rpc.Channels refused : List.of(plain, theirs)) {
        var e = org.junit.jupiter.api.Assertions.assertThrows(io.grpc.StatusRuntimeException.class,
            () -> dev.dfcache.rpc.SchedulerRpc.STAT_TASK.call(refused.get(at), stat, call));
        assertEquals(io.grpc.Status.Code.UNAVAILABLE, e.getStatus().getCode(), e.toString());
      }
      var unknown = org.junit.jupiter.api.Assertions.assertThrows(
          io.grpc.StatusRuntimeException.class,
          () -> dev.dfcache.rpc.SchedulerRpc.STAT_TASK.call(mine.get(at), stat, call));
      assertTrue(unknown.getStatus().getDescription().startsWith("[1404]"), unknown.toString());
    }
    // no client certificate: refused in the handshake, /metrics included
    javax.net.ssl.TrustManagerFactory trustOnly = TlsFiles.load(ours).trust();
    javax.net.ssl.SSLContext anonymous = javax.net.ssl.SSLContext.getInstance("TLS");
    anonymous.init(null, trustOnly.getTrustManagers(), null);
    URI metrics = URI.create("https://127.0.0.1:" + ports[0] + "/metrics");
    org.junit.jupiter.api.Assertions.assertThrows(java.io.IOException.class,
        () -> HttpClient.newBuilder().sslContext(anonymous).build().send(
            HttpRequest.newBuilder(metrics).build(), HttpResponse.BodyHandlers.ofString()));
    HttpResponse<String> scraped = HttpClient.newBuilder().sslContext(TlsFiles.context(ours))
        .build().send(HttpRequest.newBuilder(metrics).build(),
            HttpResponse.BodyHandlers.ofString());
    assertEquals(200, scraped.statusCode());
    assertTrue(Files.readString(a.log).contains("piece uploads: mutual TLS"));

    // daemon to daemon: b's export fetched a's pieces over TLS; nobody without a certificate may
    String taskId = dev.dfcache.common.TaskIds.taskId(
        dev.dfcache.common.TaskIds.urlForCid("over-tls"),
        dev.dfcache.api.common.UrlMeta.getDefaultInstance());
    URI piece = URI.create("https://127.0.0.1:" + a.uploadPort() + "/download/"
        + taskId.substring(0, 3) + "/" + taskId + "?peerId=x");
    HttpClient noCert = HttpClient.newBuilder().sslContext(anonymous).build();
    assertEquals(403, noCert.send(HttpRequest.newBuilder(piece).header("Range", "bytes=0-9")
        .build(), HttpResponse.BodyHandlers.ofString()).statusCode());
    assertEquals(200, noCert.send(HttpRequest.newBuilder(URI.create("https://127.0.0.1:"
        + a.uploadPort() + "/healthz")).build(), HttpResponse.BodyHandlers.ofString())
        .statusCode(), "probes need no certificate");
    HttpClient withCert = HttpClient.newBuilder().sslContext(TlsFiles.context(ours)).build();
    assertEquals(206, withCert.send(HttpRequest.newBuilder(piece).header("Range", "bytes=0-9")
        .build(), HttpResponse.BodyHandlers.ofByteArray()).statusCode());
    org.junit.jupiter.api.Assertions.assertThrows(java.io.IOException.class,
        () -> HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
            + a.uploadPort() + "/healthz")).build(), HttpResponse.BodyHandlers.ofString()));
    dev.dfcache.common.HostPort peer = new dev.dfcache.common.HostPort("127.0.0.1", a.grpcPort);
    var pieces = dev.dfcache.api.common.PieceTaskRequest.newBuilder().setTaskId(taskId).build();
    try (dev.dfcache.rpc.Channels plain = new dev.dfcache.rpc.Channels();
        dev.dfcache.rpc.Channels theirs = new dev.dfcache.rpc.Channels(
            PeerTls.load(foreign.resolve("127.0.0.1")).grpcClient());
        dev.dfcache.rpc.Channels mine = new dev.dfcache.rpc.Channels(
            PeerTls.load(ours).grpcClient())) {
      for (dev.dfcache.rpc.Channels refused : List.of(plain, theirs)) {
        var e = org.junit.jupiter.api.Assertions.assertThrows(io.grpc.StatusRuntimeException.class,
            () -> dev.dfcache.rpc.DaemonRpc.GET_PIECE_TASKS.call(refused.get(peer), pieces, call));
        assertEquals(io.grpc.Status.Code.UNAVAILABLE, e.getStatus().getCode(), e.toString());
      }
      assertEquals(3, dev.dfcache.rpc.DaemonRpc.GET_PIECE_TASKS.call(mine.get(peer), pieces, call)
          .getPieceInfosCount());
    }
  }

  Proc daemon(String name, Proc scheduler, Path tls) throws Exception {
    int grpc = LocalCluster.freePort();
    int upload = LocalCluster.freePort();
    Path sockets = Files.createDirectories(cluster.work().resolve("sockets"));
    return cluster.process(name, List.of(), List.of("dfdaemon", "--host", "127.0.0.1",
            "--grpc-port", "" + grpc, "--upload-port", "" + upload,
            "--data-dir", cluster.work().resolve(name).toString(),
            "--schedulers", "127.0.0.1:" + scheduler.grpcPort,
            "--socket", sockets.resolve(name + ".sock").toString(), "--tls-dir", tls.toString()),
        Map.of(), "dfdaemon ready", grpc, upload);
  }
}
