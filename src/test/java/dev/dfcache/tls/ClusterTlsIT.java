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
 * Scheduler nodes started with --tls-dir form their cluster over mutual TLS (Artery tls-tcp);
 * a node without a certificate, or with one from another CA, never joins it.
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

  static double members(Proc scheduler) throws Exception {
    String body = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(
            "http://127.0.0.1:" + scheduler.grpcPort + "/metrics")).build(),
        HttpResponse.BodyHandlers.ofString()).body();
    return PrometheusText.parse(body).value("dfcache_scheduler_cluster_members");
  }

  static void awaitMembers(Proc scheduler, double n) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(40).toNanos();
    while (members(scheduler) != n) {
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
}
