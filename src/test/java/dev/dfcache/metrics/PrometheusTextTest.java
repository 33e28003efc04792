package dev.dfcache.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Histogram;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The test parser accepts what our registries write and rejects malformed text. */
class PrometheusTextTest {

  @Test
  void readsWhatTheSchedulerRegistryWrites() {
    SchedulerMetrics m = new SchedulerMetrics();
    m.grpcCalls.labelValues("scheduler.Scheduler/StatTask", "UNKNOWN", "PeerTaskNotFound").inc();
    m.grpcSeconds.labelValues("scheduler.Scheduler/StatTask").observe(0.003);
    m.grpcSeconds.labelValues("scheduler.Scheduler/StatTask").observe(20);
    m.shards.set(7);
    PrometheusText t = PrometheusText.parse(
        new String(MetricsEndpoint.render(m.registry), StandardCharsets.UTF_8));
    assertEquals(1, t.value("dfcache_scheduler_grpc_calls_total",
        Map.of("method", "scheduler.Scheduler/StatTask", "code", "UNKNOWN",
            "df_code", "PeerTaskNotFound")));
    assertEquals(2, t.value("dfcache_scheduler_grpc_call_duration_seconds_count",
        Map.of("method", "scheduler.Scheduler/StatTask")));
    assertEquals(1, t.value("dfcache_scheduler_grpc_call_duration_seconds_bucket",
        Map.of("method", "scheduler.Scheduler/StatTask", "le", "0.005")));
    assertEquals(7, t.value("dfcache_scheduler_shards"));
    assertEquals("histogram",
        t.families().get("dfcache_scheduler_grpc_call_duration_seconds").type());
    assertTrue(t.families().containsKey("jvm_memory_used_bytes"));
  }

  @Test
  void rejectsMalformedText() {
    assertThrows(IllegalArgumentException.class, () -> PrometheusText.parse("a 1"));
    assertThrows(IllegalArgumentException.class, () -> PrometheusText.parse("1a 1\n"));
    assertThrows(IllegalArgumentException.class, () -> PrometheusText.parse("a{b=c} 1\n"));
    assertThrows(IllegalArgumentException.class, () -> PrometheusText.parse("a{b=\"\\x\"} 1\n"));
    assertThrows(IllegalArgumentException.class, () -> PrometheusText.parse("a one\n"));
    assertThrows(IllegalArgumentException.class, () -> PrometheusText.parse("a 1\na 2\n"));
    assertThrows(IllegalArgumentException.class,
        () -> PrometheusText.parse("a 1\nb 1\na{x=\"1\"} 2\n"));
    assertThrows(IllegalArgumentException.class,
        () -> PrometheusText.parse("# TYPE h histogram\nh_bucket{le=\"1\"} 2\n"
            + "h_bucket{le=\"+Inf\"} 1\nh_count 1\nh_sum 1\n"));
    assertThrows(IllegalArgumentException.class,
        () -> PrometheusText.parse("# TYPE h histogram\nh_bucket{le=\"1\"} 1\n"
            + "h_bucket{le=\"+Inf\"} 2\nh_count 3\nh_sum 1\n"));
    PrometheusText ok = PrometheusText.parse("# HELP a some \\\\ help\n# TYPE a gauge\n"
        + "a{x=\"q\\\"uote\",} 1.5e3 1700000000000\n");
    assertEquals(1500, ok.value("a", Map.of("x", "q\"uote")));
  }

  @Test
  void grpcCodesAreNamed() {
    assertEquals("OK", GrpcCallMetrics.statusName("0"));
    assertEquals("UNKNOWN", GrpcCallMetrics.statusName("2"));
    assertEquals("UNAVAILABLE", GrpcCallMetrics.statusName("14"));
    assertEquals("PeerTaskNotFound", GrpcCallMetrics.dfCode("[1404]task x not found"));
    assertEquals("", GrpcCallMetrics.dfCode("no code here"));
    GrpcCallMetrics g = new GrpcCallMetrics(
        Counter.builder().name("c_total").labelNames("method", "code", "df_code").build(),
        Histogram.builder().name("h").labelNames("method").build(),
        io.prometheus.metrics.core.metrics.Gauge.builder().name("g").build(),
        java.util.Set.of("scheduler.Scheduler/StatTask"));
    assertEquals("scheduler.Scheduler/StatTask", g.methodOf("/scheduler.Scheduler/StatTask"));
    assertEquals("other", g.methodOf("/scheduler.Scheduler/Nope"));
  }
}
