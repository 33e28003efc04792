package dev.dfcache.manager.rest;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dfcache.manager.db.ClusterRepository;
import dev.dfcache.manager.db.Database;
import dev.dfcache.manager.db.MetricRepository;
import dev.dfcache.manager.db.MetricRollups;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.http.javadsl.model.HttpResponse;

/**
 * What the console's overview draws, computed by the database ({@link MetricRollups}), so that
 * its size follows the number of components and minutes, never the number of samples:
 * /api/v1/clusters/{id}/metrics/latest (the newest sample of each component) and
 * /api/v1/clusters/{id}/metrics/minutes (the cluster per minute).
 */
final class OverviewResource {
  static final long DEFAULT_WINDOW_MS = 3_600_000;
  /** The longest range one call may ask for: it bounds the rows the database reads. */
  static final long MAX_WINDOW_MS = 24 * 3_600_000L;

  private final Database db;

  OverviewResource(Database db) {
    this.db = db;
  }

  /** ?since (default: an hour ago): each component's newest sample since then. */
  CompletionStage<HttpResponse> latest(Call call) {
    long id = call.id(0);
    long now = System.currentTimeMillis();
    long since = call.queryLong("since", 0, Long.MAX_VALUE / 2, now - DEFAULT_WINDOW_MS);
    if (since < now - MAX_WINDOW_MS) {
      throw ApiError.badRequest("since must be within the last " + MAX_WINDOW_MS / 3_600_000
          + " hours (" + (now - MAX_WINDOW_MS) + " or later)");
    }
    return db.query(c -> {
      ClusterRepository.get(c, id).orElseThrow(() -> ClusterResource.notFound(id));
      return MetricRollups.latest(c, id, since, now);
    }).thenApply(rows -> {
      ObjectNode out = Json.object();
      out.put("cluster_id", id);
      out.put("since", since);
      out.put("at", now);
      ArrayNode list = out.putArray("latest");
      for (MetricRollups.Latest l : rows) {
        ObjectNode o = sample(list.addObject(), l.sample());
        rate(o, "upload_rate", l.uploadRate());
        rate(o, "download_rate", l.downloadRate());
      }
      return Responses.ok(out);
    });
  }

  /** ?since (default: an hour ago) and ?until (default: now): the cluster per minute. */
  CompletionStage<HttpResponse> minutes(Call call) {
    long id = call.id(0);
    long now = System.currentTimeMillis();
    long since = MetricRollups.minuteOf(call.queryLong("since", 0, Long.MAX_VALUE / 2,
        now - DEFAULT_WINDOW_MS));
    long until = call.queryLong("until", 1, Long.MAX_VALUE / 2, now);
    if (until <= since) {
      throw ApiError.badRequest("until must be after since (since is taken from the start of "
          + "its minute, " + since + ")");
    }
    if (until - since > MAX_WINDOW_MS) {
      throw ApiError.badRequest("since..until may span at most " + MAX_WINDOW_MS / 3_600_000
          + " hours");
    }
    return db.query(c -> {
      ClusterRepository.get(c, id).orElseThrow(() -> ClusterResource.notFound(id));
      return MetricRollups.minutes(c, id, since, until);
    }).thenApply(rows -> {
      ObjectNode out = Json.object();
      out.put("cluster_id", id);
      out.put("since", since);
      out.put("until", until);
      ArrayNode list = out.putArray("minutes");
      for (MetricRollups.Minute m : rows) {
        list.addObject()
            .put("minute", m.minute())
            .put("schedulers", m.schedulers())
            .put("peers", m.peers())
            .put("tasks", m.tasks())
            .put("bytes_uploaded", m.bytesUploaded())
            .put("bytes_downloaded", m.bytesDownloaded())
            .put("upload_rate", m.uploadRate())
            .put("download_rate", m.downloadRate())
            .put("pieces_failed", m.piecesFailed())
            .put("stat_count", m.statCount())
            .put("stat_micros", m.statMicros())
            .put("export_count", m.exportCount())
            .put("export_micros", m.exportMicros());
      }
      return Responses.ok(out);
    });
  }

  /** A stored sample as the REST API shows it (the raw listing and the latest per component). */
  static ObjectNode sample(ObjectNode o, MetricRepository.Sample s) {
    return o.put("at", s.at())
        .put("component_kind", s.kind())
        .put("component_id", s.componentId())
        .put("tasks", s.tasks())
        .put("peers", s.peers())
        .put("bytes_uploaded", s.bytesUploaded())
        .put("bytes_downloaded", s.bytesDownloaded())
        .put("pieces_failed", s.piecesFailed())
        .put("cache_used", s.cacheUsed())
        .put("stat_count", s.statCount())
        .put("stat_micros", s.statMicros())
        .put("export_count", s.exportCount())
        .put("export_micros", s.exportMicros())
        .put("cache_free", s.cacheFree());
  }

  private static void rate(ObjectNode o, String field, Double value) {
    if (value == null) {
      o.putNull(field);
    } else {
      o.put(field, value);
    }
  }
}
