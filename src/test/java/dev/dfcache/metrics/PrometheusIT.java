package dev.dfcache.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dfcache.e2e.LocalCluster;
import dev.dfcache.e2e.LocalCluster.Proc;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The components' /metrics as Prometheus itself takes them: Debian's {@code promtool check
 * metrics} finds nothing to say about each scrape (names, units, help, types), and a real {@code
 * prometheus} server scraping a manager, a scheduler and a daemon has every target up and the
 * series the Grafana dashboard (k8s/monitoring) draws. bin/test installs the {@code prometheus}
 * package when it is missing.
 */
class PrometheusIT {
  static final Path PROMETHEUS = Path.of("/usr/bin/prometheus");
  static final Path PROMTOOL = Path.of("/usr/bin/promtool");

  LocalCluster cluster;
  Process prometheus;

  @BeforeEach
  void setUp() throws Exception {
    if (!Files.isExecutable(PROMETHEUS) || !Files.isExecutable(PROMTOOL)) {
      fail("PrometheusIT needs Debian's prometheus package (apt-get install prometheus; "
          + "bin/test installs it)");
    }
    cluster = LocalCluster.inTempDir("dfcache-prometheus");
  }

  @AfterEach
  void tearDown() throws Exception {
    if (prometheus != null) {
      prometheus.destroy();
      if (!prometheus.waitFor(10, TimeUnit.SECONDS)) {
        prometheus.destroyForcibly();
      }
    }
    cluster.close();
  }

  /** Labelled counters with no series until their first event (no upload was refused here). */
  static final java.util.Set<String> FROM_FIRST_EVENT =
      java.util.Set.of("dfcache_daemon_uploads_rejected_total");

  static String readQuietly(Path file) {
    try {
      return Files.readString(file);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  @Test
  void prometheusScrapesEveryComponentAndPromtoolFindsNothingToFix() throws Exception {
    Proc manager = cluster.manager("prom-manager", List.of(), Map.of());
    Proc scheduler = cluster.scheduler("prom-scheduler");
    Proc seed = cluster.daemon("prom-seed", scheduler.grpc());
    Proc daemon = cluster.daemon("prom-daemon", scheduler.grpc());
    // traffic first: labelled series (pieces by outcome, call latency by method) exist from
    // their first event on
    byte[] data = new byte[5 * 1024 * 1024 + 17];
    new java.util.Random(3).nextBytes(data);
    Path input = Files.write(cluster.work().resolve("input.bin"), data);
    Path output = cluster.work().resolve("output.bin");
    assertEquals(0, LocalCluster.cli(seed, "import", "-i", "prometheus-it", input.toString())
        .exit());
    var exported = LocalCluster.cli(daemon, "export", "-i", "prometheus-it", "-O",
        output.toString());
    assertEquals(0, exported.exit(), exported.toString());
    assertTrue(java.util.Arrays.equals(data, Files.readAllBytes(output)), "exported bytes");
    Map<String, String> targets = Map.of(
        "manager", "127.0.0.1:" + manager.uploadPort(),
        "scheduler", "127.0.0.1:" + scheduler.grpcPort,
        "dfdaemon", "127.0.0.1:" + daemon.uploadPort());

    var http = LocalCluster.plainHttp();
    for (var t : targets.entrySet()) {
      String body = LocalCluster.httpGet(http, URI.create("http://" + t.getValue() + "/metrics"));
      Path scrape = Files.writeString(cluster.work().resolve(t.getKey() + ".metrics"), body);
      Process check = new ProcessBuilder(PROMTOOL.toString(), "check", "metrics")
          .redirectInput(scrape.toFile()).redirectErrorStream(true).start();
      String said = new String(check.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertTrue(check.waitFor(30, TimeUnit.SECONDS));
      assertEquals(0, check.exitValue(), t.getKey() + ": promtool check metrics: " + said);
      assertEquals("", said.strip(), t.getKey() + ": promtool check metrics has remarks");
    }

    int port = LocalCluster.freePort();
    Path config = cluster.work().resolve("prometheus.yml");
    StringBuilder yml = new StringBuilder("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
        + "scrape_configs:\n");
    for (var t : targets.entrySet()) {
      yml.append("  - job_name: ").append(t.getKey()).append('\n')
          .append("    static_configs:\n      - targets: ['").append(t.getValue()).append("']\n");
    }
    Files.writeString(config, yml);
    Process tool = new ProcessBuilder(PROMTOOL.toString(), "check", "config", config.toString())
        .redirectErrorStream(true).start();
    String toolSaid = new String(tool.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(tool.waitFor(30, TimeUnit.SECONDS));
    assertEquals(0, tool.exitValue(), toolSaid);
    prometheus = new ProcessBuilder(PROMETHEUS.toString(), "--config.file=" + config,
        "--storage.tsdb.path=" + cluster.work().resolve("tsdb"),
        "--web.listen-address=127.0.0.1:" + port)
        .redirectErrorStream(true)
        .redirectOutput(cluster.work().resolve("prometheus.log").toFile()).start();

    String api = "http://127.0.0.1:" + port + "/api/v1/query?query=";
    // every target up, then one series of each component that the dashboard draws
    List<String> expected = List.of(
        "up{job=\"manager\"} == 1", "up{job=\"scheduler\"} == 1", "up{job=\"dfdaemon\"} == 1",
        "dfcache_manager_components", "dfcache_scheduler_hosts_alive == 2",
        "dfcache_scheduler_tasks", "dfcache_scheduler_grpc_calls_total",
        "dfcache_daemon_tasks_stored", "dfcache_daemon_downloaded_bytes_total",
        "process_cpu_seconds_total{job=\"dfdaemon\"}");
    ObjectMapper json = new ObjectMapper();
    long start = System.nanoTime();
    long deadline = start + Duration.ofSeconds(90).toNanos();
    List<String> missing = new ArrayList<>(expected);
    while (!missing.isEmpty() && System.nanoTime() < deadline) {
      List<String> still = new ArrayList<>();
      for (String q : missing) {
        try {
          JsonNode r = json.readTree(LocalCluster.httpGet(http,
              URI.create(api + URLEncoder.encode(q, StandardCharsets.UTF_8))));
          if (!"success".equals(r.path("status").asText())
              || r.path("data").path("result").isEmpty()) {
            still.add(q);
          }
        } catch (Exception notYet) {
          still.add(q); // prometheus still starting
        }
      }
      missing = still;
      if (!missing.isEmpty()) {
        Thread.sleep(500);
      }
    }
    // every query of the Grafana dashboard is valid PromQL and finds the metrics it draws
    JsonNode dashboard = json.readTree(Path.of("k8s", "monitoring", "grafana-dashboard.json")
        .toFile());
    java.util.regex.Pattern metric = java.util.regex.Pattern.compile(
        "\\b((?:dfcache|process)_[a-z_]+?)(?:_bucket|_sum|_count)?\\b");
    java.util.Set<String> drawn = new java.util.TreeSet<>();
    for (JsonNode panel : dashboard.path("panels")) {
      for (JsonNode target : panel.path("targets")) {
        String expr = target.path("expr").asText().replace("$__rate_interval", "1m");
        JsonNode r = json.readTree(LocalCluster.httpGet(http,
            URI.create(api + URLEncoder.encode(expr, StandardCharsets.UTF_8))));
        assertEquals("success", r.path("status").asText(),
            panel.path("title").asText() + ": " + expr + " -> " + r);
        java.util.regex.Matcher m = metric.matcher(expr);
        while (m.find()) {
          drawn.add(m.group(1));
        }
      }
    }
    for (var t : targets.keySet()) {
      drawn.removeIf(name -> Files.exists(cluster.work().resolve(t + ".metrics")) && readQuietly(
          cluster.work().resolve(t + ".metrics")).contains("# TYPE " + name + " "));
    }
    drawn.removeAll(FROM_FIRST_EVENT);
    assertTrue(drawn.isEmpty(), "the dashboard draws metrics no component serves: " + drawn);
    System.out.printf("prometheus: every series after %.1f s%n", (System.nanoTime() - start) / 1e9);
    assertTrue(missing.isEmpty(), "prometheus has no result for " + missing + "; see "
        + cluster.work().resolve("prometheus.log"));
  }
}
