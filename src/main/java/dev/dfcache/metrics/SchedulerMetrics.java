package dev.dfcache.metrics;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.function.DoubleSupplier;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;

/**
 * What a scheduler node counts, one registry per node (an extension of its ActorSystem); served
 * at GET /metrics on the node's gRPC port. Gauges describe this node: the shards and task entities
 * sharding placed on it, and the peers those tasks record.
 */
public final class SchedulerMetrics implements Extension {
  /** Latency buckets of a scheduler call, in seconds: 0.5 ms .. 10 s. */
  static final double[] CALL_SECONDS = {
      0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};

  public final PrometheusRegistry registry;
  public final Gauge tasks;
  public final Gauge shards;
  public final Gauge taskPeers;
  public final Gauge members;
  public final Counter grpcCalls;
  public final Histogram grpcSeconds;
  public final Gauge grpcInFlight;
  private volatile DoubleSupplier hostsAlive = () -> 0;

  public static final ExtensionId<SchedulerMetrics> ID = new ExtensionId<>() {
    @Override
    public SchedulerMetrics createExtension(ActorSystem<?> system) {
      return new SchedulerMetrics();
    }
  };

  public static SchedulerMetrics get(ActorSystem<?> system) {
    return system.registerExtension(ID);
  }

  public SchedulerMetrics() {
    registry = MetricsEndpoint.newRegistry();
    tasks = Gauge.builder().name("dfcache_scheduler_tasks")
        .help("task entities hosted on this scheduler node").register(registry);
    shards = Gauge.builder().name("dfcache_scheduler_shards")
        .help("task shards hosted on this scheduler node").register(registry);
    taskPeers = Gauge.builder().name("dfcache_scheduler_task_peers")
        .help("peers recorded (holding or downloading) by the tasks hosted on this node")
        .register(registry);
    members = Gauge.builder().name("dfcache_scheduler_cluster_members")
        .help("scheduler nodes Up in the cluster, as this node sees it").register(registry);
    GaugeWithCallback.builder().name("dfcache_scheduler_hosts_alive")
        .help("peer hosts whose heartbeats are within the host TTL (fleet-wide, replicated)")
        .callback(cb -> cb.call(hostsAlive.getAsDouble())).register(registry);
    grpcCalls = Counter.builder().name("dfcache_scheduler_grpc_calls_total")
        .help("gRPC calls served, by method, gRPC status code and Dragonfly error code")
        .labelNames("method", "code", "df_code").register(registry);
    grpcSeconds = Histogram.builder().name("dfcache_scheduler_grpc_call_duration_seconds")
        .help("time from request to response of a gRPC call, by method")
        .labelNames("method").classicOnly().classicUpperBounds(CALL_SECONDS).register(registry);
    grpcInFlight = Gauge.builder().name("dfcache_scheduler_grpc_calls_in_flight")
        .help("gRPC calls being served").register(registry);
  }

  /** Where dfcache_scheduler_hosts_alive reads from. */
  public void hostsAliveFrom(DoubleSupplier supplier) {
    this.hostsAlive = supplier;
  }
}
