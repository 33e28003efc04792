package dev.dfcache.metrics;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.function.DoubleSupplier;

/** What a dfdaemon counts; served at GET /metrics on its upload port. */
public final class DaemonMetrics {
  public final PrometheusRegistry registry;
  public final Counter uploadedBytes;
  public final Counter downloadedBytes;
  public final Counter pieces;
  public final Gauge activeUploads;
  public final Counter uploadsRejected;
  public final Counter parentPackets;
  public final Counter endgameCancels;
  public final LocalCallTimer localCalls;

  public DaemonMetrics(DoubleSupplier tasksStored, DoubleSupplier storeBytes) {
    registry = MetricsEndpoint.newRegistry();
    uploadedBytes = Counter.builder().name("dfcache_daemon_uploaded_bytes_total")
        .help("piece bytes sent to other peers").register(registry);
    downloadedBytes = Counter.builder().name("dfcache_daemon_downloaded_bytes_total")
        .help("verified piece bytes received from other peers").register(registry);
    pieces = Counter.builder().name("dfcache_daemon_pieces_total")
        .help("piece downloads by outcome: ok, corrupt (digest mismatch), failed")
        .labelNames("outcome").register(registry);
    activeUploads = Gauge.builder().name("dfcache_daemon_active_uploads")
        .help("piece uploads in progress").register(registry);
    uploadsRejected = Counter.builder().name("dfcache_daemon_uploads_rejected_total")
        .help("upload requests refused (503) by reason: host_full (max-concurrent-uploads), "
            + "task_full (max-uploads-per-task), piece_busy (that piece is being uploaded)")
        .labelNames("reason").register(registry);
    parentPackets = Counter.builder().name("dfcache_daemon_parent_packets_total")
        .help("PeerPackets (new parents) the scheduler pushed to this daemon's downloads")
        .register(registry);
    endgameCancels = Counter.builder().name("dfcache_daemon_endgame_cancels_total")
        .help("piece requests cancelled because the same piece arrived from another parent")
        .register(registry);
    localCalls = new LocalCallTimer(Histogram.builder()
        .name("dfcache_daemon_local_call_seconds")
        .help("local API calls (stat, export) from start to answer, failures included")
        .labelNames("method").register(registry));
    GaugeWithCallback.builder().name("dfcache_daemon_tasks_stored")
        .help("complete tasks in the store")
        .callback(cb -> cb.call(tasksStored.getAsDouble())).register(registry);
    GaugeWithCallback.builder().name("dfcache_daemon_store_bytes")
        .help("bytes of complete tasks in the store")
        .callback(cb -> cb.call(storeBytes.getAsDouble())).register(registry);
  }
}
