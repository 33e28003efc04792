package dev.dfcache.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dfcache.api.common.TaskType;
import dev.dfcache.api.common.UrlMeta;
import dev.dfcache.api.dfdaemon.ExportTaskRequest;
import dev.dfcache.api.dfdaemon.ImportTaskRequest;
import dev.dfcache.api.dfdaemon.StatTaskRequest;
import dev.dfcache.common.TaskIds;
import dev.dfcache.e2e.LocalCluster;
import dev.dfcache.e2e.LocalCluster.Proc;
import dev.dfcache.rpc.Channels;
import dev.dfcache.rpc.DaemonRpc;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * /metrics of every component, scraped over HTTP from real processes: a scheduler (config mode,
 * with a management port) and two daemons. Every scrape must parse as strict Prometheus text, and
 * the counters and gauges must move the way the traffic says: an import announces, an export
 * moves pieces from one daemon to the other, a stat of an unknown task fails with its code.
 */
class MetricsIT {
  static final int SIZE = 12 * 1024 * 1024 + 12345;

  Path work;
  LocalCluster cluster;
  final Channels channels = new Channels();
  final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(2)).build();

  @BeforeEach
  void setUp() throws Exception {
    cluster = LocalCluster.inTempDir("dfcache-metrics");
    work = cluster.work();
  }

  @AfterEach
  void tearDown() throws Exception {
    channels.close();
    cluster.close();
  }

  HttpResponse<String> get(String url) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5))
        .build(), HttpResponse.BodyHandlers.ofString());
  }

  PrometheusText scrape(String url) throws Exception {
    HttpResponse<String> r = get(url);
    assertEquals(200, r.statusCode(), url);
    assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("text/plain"),
        url + " content type " + r.headers().firstValue("Content-Type"));
    return PrometheusText.parse(r.body());
  }

  /** Scrapes until the condition holds (gauges are refreshed every 2 s), or fails. */
  PrometheusText scrapeUntil(String url, Predicate<PrometheusText> condition, String what)
      throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
    PrometheusText t = scrape(url);
    while (!condition.test(t)) {
      assertTrue(System.nanoTime() < deadline, url + ": " + what);
      Thread.sleep(250);
      t = scrape(url);
    }
    return t;
  }

  static UrlMeta meta() {
    return UrlMeta.newBuilder().setTag("metrics").build();
  }

  @Test
  void everyComponentServesPrometheusTextThatFollowsTheTraffic() throws Exception {
    long t0 = System.nanoTime();
    int[] ports = LocalCluster.reservePorts(3);
    int grpc = ports[0];
    int clusterPort = ports[1];
    int management = ports[2];
    Proc scheduler = cluster.process("metrics-scheduler", List.of(),
        List.of("scheduler", "--host", "127.0.0.1", "--grpc-port", Integer.toString(grpc),
            "--cluster-port", Integer.toString(clusterPort),
            "--management-port", Integer.toString(management)),
        Map.of(), "scheduler up", grpc, clusterPort);
    Proc d1 = cluster.daemon("metrics-d1", scheduler.grpc());
    Proc d2 = cluster.daemon("metrics-d2", scheduler.grpc());
    String sched = "http://127.0.0.1:" + grpc + "/metrics";
    String m1 = "http://127.0.0.1:" + d1.uploadPort() + "/metrics";
    String m2 = "http://127.0.0.1:" + d2.uploadPort() + "/metrics";

    // health endpoints
    assertEquals(200, get("http://127.0.0.1:" + management + "/ready").statusCode());
    assertEquals(200, get("http://127.0.0.1:" + management + "/alive").statusCode());
    assertEquals(200, get("http://127.0.0.1:" + grpc + "/healthz").statusCode());
    assertEquals(200, get("http://127.0.0.1:" + d1.uploadPort() + "/healthz").statusCode());

    PrometheusText s0 = scrapeUntil(sched,
        t -> t.value("dfcache_scheduler_hosts_alive") == 2
            && t.value("dfcache_scheduler_cluster_members") == 1, "two daemons heartbeating");
    PrometheusText a0 = scrape(m1);
    PrometheusText b0 = scrape(m2);
    for (String family : Set.of("dfcache_scheduler_tasks", "dfcache_scheduler_shards",
        "dfcache_scheduler_task_peers", "dfcache_scheduler_grpc_calls_in_flight",
        "jvm_memory_used_bytes", "process_cpu_seconds_total")) {
      assertTrue(s0.families().containsKey(family), "scheduler lacks " + family);
    }
    for (String family : Set.of("dfcache_daemon_uploaded_bytes_total",
        "dfcache_daemon_downloaded_bytes_total", "dfcache_daemon_tasks_stored",
        "dfcache_daemon_store_bytes", "dfcache_daemon_active_uploads")) {
      assertTrue(a0.families().containsKey(family), "daemon lacks " + family);
    }
    Map<String, String> heartbeatOk = Map.of("method", "dfcache.PeerScheduler/Heartbeat",
        "code", "OK", "df_code", "");
    double heartbeats0 = s0.value("dfcache_scheduler_grpc_calls_total", heartbeatOk);
    assertTrue(heartbeats0 >= 2, "heartbeats counted: " + heartbeats0);
    assertEquals(0, a0.value("dfcache_daemon_tasks_stored"));

    // traffic: import on d1, export on d2 (pieces move d1 -> d2), stat of an unknown task
    byte[] data = new byte[SIZE];
    new Random(7).nextBytes(data);
    Path file = Files.write(work.resolve("input.bin"), data);
    String url = TaskIds.urlForCid("metrics-it");
    DaemonRpc.IMPORT_TASK.call(channels.local(d1.socket),
        ImportTaskRequest.newBuilder().setUrl(url).setUrlMeta(meta()).setPath(file.toString())
            .setType(TaskType.DfCache).build(), Duration.ofSeconds(60));
    Path out = work.resolve("output.bin");
    DaemonRpc.EXPORT_TASK.call(channels.local(d2.socket),
        ExportTaskRequest.newBuilder().setUrl(url).setUrlMeta(meta()).setOutput(out.toString())
            .build(), Duration.ofSeconds(60));
    assertEquals(SIZE, Files.size(out));
    assertThrows(RuntimeException.class, () -> DaemonRpc.STAT_TASK.call(
        channels.local(d2.socket),
        StatTaskRequest.newBuilder().setUrl(TaskIds.urlForCid("no-such-task")).build(),
        Duration.ofSeconds(10)));

    PrometheusText s1 = scrapeUntil(sched,
        t -> t.value("dfcache_scheduler_task_peers") >= 2 && t.value("dfcache_scheduler_tasks") >= 1
            && t.value("dfcache_scheduler_shards") >= 1, "task gauges never moved");
    Map<String, String> announceOk = Map.of("method", "scheduler.Scheduler/AnnounceTask",
        "code", "OK", "df_code", "");
    assertTrue(s1.value("dfcache_scheduler_grpc_calls_total", announceOk) >= 1);
    assertTrue(s1.value("dfcache_scheduler_grpc_calls_total", Map.of(
        "method", "scheduler.Scheduler/RegisterPeerTask", "code", "OK", "df_code", "")) >= 1);
    assertTrue(s1.value("dfcache_scheduler_grpc_calls_total", Map.of(
        "method", "scheduler.Scheduler/StatTask", "code", "UNKNOWN",
        "df_code", "PeerTaskNotFound")) >= 1, "the failed stat is counted with its code");
    assertTrue(s1.value("dfcache_scheduler_grpc_calls_total", heartbeatOk) > heartbeats0);
    assertTrue(s1.value("dfcache_scheduler_grpc_call_duration_seconds_count",
        Map.of("method", "scheduler.Scheduler/AnnounceTask")) >= 1);
    assertTrue(s1.value("dfcache_scheduler_grpc_call_duration_seconds_sum",
        Map.of("method", "scheduler.Scheduler/AnnounceTask")) > 0);
    assertEquals(0, s1.value("dfcache_scheduler_grpc_calls_in_flight"));

    PrometheusText a1 = scrape(m1);
    PrometheusText b1 = scrape(m2);
    double uploaded = a1.value("dfcache_daemon_uploaded_bytes_total")
        - a0.value("dfcache_daemon_uploaded_bytes_total");
    double downloaded = b1.value("dfcache_daemon_downloaded_bytes_total")
        - b0.value("dfcache_daemon_downloaded_bytes_total");
    assertEquals(SIZE, downloaded, "d2 downloaded the file once");
    assertTrue(uploaded >= SIZE, "d1 uploaded " + uploaded);
    assertEquals(4, b1.value("dfcache_daemon_pieces_total", Map.of("outcome", "ok")),
        "12 MiB in 4 MiB pieces");
    assertEquals(1, a1.value("dfcache_daemon_tasks_stored"));
    assertEquals(1, b1.value("dfcache_daemon_tasks_stored"));
    assertTrue(a1.value("dfcache_daemon_store_bytes") >= SIZE);
    assertTrue(b1.value("dfcache_daemon_store_bytes") >= SIZE);
    assertEquals(0, a1.value("dfcache_daemon_active_uploads"));
    System.out.printf("metrics: scheduler %d families, daemon %d families; test %.1f s%n",
        s1.families().size(), a1.families().size(), (System.nanoTime() - t0) / 1e9);
  }
}
