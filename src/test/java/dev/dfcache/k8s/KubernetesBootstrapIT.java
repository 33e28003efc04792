package dev.dfcache.k8s;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dfcache.api.common.PieceInfo;
import dev.dfcache.api.common.PiecePacket;
import dev.dfcache.api.scheduler.AnnounceTaskRequest;
import dev.dfcache.api.scheduler.PeerHost;
import dev.dfcache.api.scheduler.StatTaskRequest;
import dev.dfcache.api.scheduler.Task;
import dev.dfcache.common.Digests;
import dev.dfcache.common.HostPort;
import dev.dfcache.e2e.LocalCluster;
import dev.dfcache.e2e.LocalCluster.Proc;
import dev.dfcache.metrics.PrometheusText;
import dev.dfcache.rpc.Channels;
import dev.dfcache.rpc.SchedulerRpc;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Cluster bootstrap for real: three scheduler processes from the jar, run the way the Deployment
 * in k8s/ runs them ({@code --bootstrap kubernetes}, REQUIRED_CONTACT_POINT_NR,
 * PEKKO_CLUSTER_BOOTSTRAP_SERVICE_NAME), as three "pods" with the addresses 127.0.0.1..3 and the
 * same ports. They find each other only through {@link FakeKubernetesApi}, which speaks HTTPS
 * with a certificate the pods trust through api-ca-path, checks the bearer token and the
 * namespace the pods read from their service-account files, and lists the pods matching the
 * label selector. Contact points are de-duplicated by host, hence one loopback address per pod.
 */
class KubernetesBootstrapIT {
  static final String NAMESPACE = "dfcache-it";
  static final String SERVICE = "dfcache-scheduler";

  Path work;
  LocalCluster cluster;
  FakeKubernetesApi api;
  final Channels channels = new Channels();
  final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(2)).build();

  @BeforeEach
  void setUp() throws Exception {
    cluster = LocalCluster.inTempDir("dfcache-k8s-bootstrap");
    work = cluster.work();
    api = new FakeKubernetesApi(work.resolve("serviceaccount"), NAMESPACE);
  }

  @AfterEach
  void tearDown() throws Exception {
    channels.close();
    cluster.close();
    api.close();
  }

  Proc pod(int i, int grpc, int management, int remoting) throws Exception {
    String ip = "127.0.0." + i;
    return cluster.process("k8s-scheduler-" + i,
        List.of(
            "-Dpekko.discovery.kubernetes-api.api-ca-path=" + api.caCert,
            "-Dpekko.discovery.kubernetes-api.api-token-path=" + api.tokenFile,
            "-Dpekko.discovery.kubernetes-api.pod-namespace-path=" + api.namespaceFile,
            "-Dpekko.management.cluster.bootstrap.contact-point-discovery.stable-margin=2s"),
        List.of("scheduler", "--bootstrap", "kubernetes", "--host", ip,
            "--grpc-port", Integer.toString(grpc), "--cluster-port", Integer.toString(remoting),
            "--management-port", Integer.toString(management)),
        Map.of("KUBERNETES_SERVICE_HOST", "127.0.0.1",
            "KUBERNETES_SERVICE_PORT", Integer.toString(api.port()),
            "PEKKO_CLUSTER_BOOTSTRAP_SERVICE_NAME", SERVICE,
            "REQUIRED_CONTACT_POINT_NR", "3"),
        "scheduler started", grpc, management);
  }

  int status(String url) {
    try {
      return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(3))
          .build(), HttpResponse.BodyHandlers.discarding()).statusCode();
    } catch (Exception e) {
      return -1;
    }
  }

  String body(String url) throws Exception {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url))
        .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode(), url + ": " + r.body());
    return r.body();
  }

  @Test
  void schedulersDiscoverEachOtherThroughTheKubernetesApiAndAreReadyOnlyInTheCluster()
      throws Exception {
    long t0 = System.nanoTime();
    int[] ports = LocalCluster.reservePorts(3);
    int grpc = ports[0];
    int management = ports[1];
    int remoting = ports[2];
    List<FakeKubernetesApi.Pod> pods = new ArrayList<>();
    for (int i = 1; i <= 3; i++) {
      pods.add(new FakeKubernetesApi.Pod(SERVICE + "-" + i, "127.0.0." + i, SERVICE, grpc,
          management, remoting));
    }
    // an unrelated pod in the namespace: the label selector must leave it out
    pods.add(new FakeKubernetesApi.Pod("other-app", "127.0.0.9", "other-app", grpc, management,
        remoting));
    api.setPods(pods);

    // Two of the three pods listed by the API are running: bootstrap must wait for the third
    // (required-contact-point-nr = 3, every contact point must answer). Alive, not ready.
    pod(1, grpc, management, remoting);
    pod(2, grpc, management, remoting);
    long until = System.nanoTime() + Duration.ofSeconds(8).toNanos();
    int checks = 0;
    while (System.nanoTime() < until) {
      for (int i = 1; i <= 2; i++) {
        String base = "http://127.0.0." + i + ":" + management;
        assertEquals(200, status(base + "/alive"), "pod " + i + " /alive");
        assertNotEquals(200, status(base + "/ready"), "pod " + i + " ready without a cluster");
        assertNotEquals(200, status("http://127.0.0." + i + ":" + grpc + "/healthz"));
        checks++;
      }
      Thread.sleep(400);
    }
    assertTrue(checks >= 8, "readiness polled " + checks + " times");
    assertFalse(api.lookups.isEmpty(), "bootstrap never asked the Kubernetes API");

    long third = System.nanoTime();
    pod(3, grpc, management, remoting);
    for (int i = 1; i <= 3; i++) {
      String ready = "http://127.0.0." + i + ":" + management + "/ready";
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (status(ready) != 200) {
        assertTrue(System.nanoTime() < deadline, "pod " + i + " never turned ready");
        Thread.sleep(250);
      }
    }
    double formed = (System.nanoTime() - third) / 1e9;

    // one cluster of the three pods, seen the same way from every pod. Each pod turns ready when
    // it sees itself Up; that it sees the others Up too comes by gossip a moment later (CI once
    // read pod 3's view while pod 2 was still Joining in it), so each view is polled until it
    // converges.
    ObjectMapper json = new ObjectMapper();
    Set<String> leaders = new HashSet<>();
    Set<String> all = Set.of(
        "pekko://dfcache-scheduler@127.0.0.1:" + remoting,
        "pekko://dfcache-scheduler@127.0.0.2:" + remoting,
        "pekko://dfcache-scheduler@127.0.0.3:" + remoting);
    for (int i = 1; i <= 3; i++) {
      long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
      while (true) {
        JsonNode members = json.readTree(
            body("http://127.0.0." + i + ":" + management + "/cluster/members"));
        Set<String> up = new HashSet<>();
        for (JsonNode m : members.get("members")) {
          if (m.get("status").asText().equals("Up")) {
            up.add(m.get("node").asText());
          }
        }
        if (up.equals(all) || System.nanoTime() > deadline) {
          assertEquals(all, up, "members seen by pod " + i);
          leaders.add(members.get("leader").asText());
          break;
        }
        Thread.sleep(250);
      }
      assertEquals(200, status("http://127.0.0." + i + ":" + grpc + "/healthz"));
    }
    assertEquals(1, leaders.size(), "one leader: " + leaders);

    // discovery asked for exactly this namespace and selector, with the pod's token
    for (FakeKubernetesApi.Lookup l : api.lookups) {
      assertEquals(200, l.status(), "refused lookup " + l);
      assertEquals("/api/v1/namespaces/" + NAMESPACE + "/pods", l.path());
      assertEquals("app=" + SERVICE, l.labelSelector());
    }

    // the fleet serves: a task announced to pod 1 is found through pod 3
    String taskId = Digests.sha256Hex("bootstrap-it".getBytes());
    SchedulerRpc.ANNOUNCE_TASK.call(channels.get(new HostPort("127.0.0.1", grpc)),
        AnnounceTaskRequest.newBuilder().setTaskId(taskId).setUrl("d7y:/bootstrap-it")
            .setPeerHost(PeerHost.newBuilder().setId("peer-1").setIp("127.0.0.1").setRpcPort(1)
                .setDownPort(2).setHostname("h"))
            .setPiecePacket(PiecePacket.newBuilder().setContentLength(10).setTotalPiece(1)
                .addPieceInfos(PieceInfo.newBuilder().setPieceNum(0).setRangeSize(10)
                    .setPieceMd5(Digests.sha256Hex(new byte[] {1}))))
            .build(), Duration.ofSeconds(10));
    Task found = SchedulerRpc.STAT_TASK.call(channels.get(new HostPort("127.0.0.3", grpc)),
        StatTaskRequest.newBuilder().setTaskId(taskId).build(), Duration.ofSeconds(10));
    assertEquals(1, found.getPeerCount());

    // every pod's gauges see the three members
    for (int i = 1; i <= 3; i++) {
      String metrics = "http://127.0.0." + i + ":" + grpc + "/metrics";
      long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      while (PrometheusText.parse(body(metrics)).value("dfcache_scheduler_cluster_members") != 3) {
        assertTrue(System.nanoTime() < deadline, "pod " + i + " metrics never saw 3 members");
        Thread.sleep(250);
      }
    }
    System.out.printf("bootstrap: 3 pods ready %.1f s after the third started; %d API lookups;"
        + " test %.1f s%n", formed, api.lookups.size(), (System.nanoTime() - t0) / 1e9);
  }
}
