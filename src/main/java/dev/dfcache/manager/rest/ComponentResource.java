package dev.dfcache.manager.rest;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dfcache.manager.db.ClusterRepository;
import dev.dfcache.manager.db.ComponentRepository;
import dev.dfcache.manager.db.ComponentRow;
import dev.dfcache.manager.db.Database;
import dev.dfcache.manager.db.MetricRepository;
import java.util.List;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.http.javadsl.model.HttpResponse;

/**
 * Read-only views of what components report: /api/v1/schedulers, /api/v1/peers (their state
 * computed from the lease at the time of the request) and /api/v1/clusters/{id}/metrics.
 */
final class ComponentResource {
  static final int MAX_SAMPLES = 10_000;
  private static final long DEFAULT_WINDOW_MS = 3_600_000;

  private final Database db;

  ComponentResource(Database db) {
    this.db = db;
  }

  CompletionStage<HttpResponse> schedulers(Call call) {
    long clusterId = clusterFilter(call);
    return db.query(c -> ComponentRepository.schedulers(c, clusterId))
        .thenApply(rows -> Responses.ok(json(rows, false)));
  }

  CompletionStage<HttpResponse> peers(Call call) {
    long clusterId = clusterFilter(call);
    return db.query(c -> ComponentRepository.peers(c, clusterId))
        .thenApply(rows -> Responses.ok(json(rows, true)));
  }

  /** A cluster's samples since {@code ?since} (default: the last hour), oldest first. */
  CompletionStage<HttpResponse> metrics(Call call) {
    long id = call.id(0);
    long since = call.queryLong("since", 0, Long.MAX_VALUE / 2,
        System.currentTimeMillis() - DEFAULT_WINDOW_MS);
    return db.query(c -> {
      ClusterRepository.get(c, id).orElseThrow(() -> ClusterResource.notFound(id));
      return MetricRepository.ofCluster(c, id, since, MAX_SAMPLES);
    }).thenApply(samples -> {
      ObjectNode out = Json.object();
      out.put("cluster_id", id);
      ArrayNode list = out.putArray("samples");
      for (MetricRepository.Sample s : samples) {
        OverviewResource.sample(list.addObject(), s);
      }
      return Responses.ok(out);
    });
  }

  /** ?scheduler_cluster_id=N, or 0 for all clusters. */
  private static long clusterFilter(Call call) {
    return call.queryLong("scheduler_cluster_id", 1, Long.MAX_VALUE / 2, 0);
  }

  private static ArrayNode json(List<ComponentRow> rows, boolean peers) {
    long now = System.currentTimeMillis();
    ArrayNode out = Json.MAPPER.createArrayNode();
    for (ComponentRow r : rows) {
      ObjectNode o = out.addObject();
      o.put("id", r.id());
      if (peers) {
        o.put("host_id", r.hostId());
      }
      o.put("host_name", r.hostName());
      o.put("ip", r.ip());
      o.put("port", r.port());
      if (peers) {
        o.put("upload_port", r.uploadPort());
      }
      o.put("idc", r.idc());
      o.put("location", r.location());
      o.put("version", r.version());
      o.put("scheduler_cluster_id", r.clusterId());
      if (peers) {
        o.put("cache_capacity", r.cacheCapacity());
        o.put("cache_used", r.cacheUsed());
      }
      o.put("state", r.state(now));
      o.put("last_keep_alive_at", r.lastKeepAliveAt());
      o.put("config_version", r.configVersion());
      o.put("config_applied_at", r.configAppliedAt());
      o.put("created_at", r.createdAt());
    }
    return out;
  }
}
