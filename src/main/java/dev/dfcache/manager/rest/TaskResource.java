package dev.dfcache.manager.rest;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dfcache.api.common.UrlMeta;
import dev.dfcache.api.peer.TaskHolder;
import dev.dfcache.api.peer.TaskPage;
import dev.dfcache.api.peer.TaskSummary;
import dev.dfcache.common.TaskIds;
import dev.dfcache.manager.db.ClusterRepository;
import dev.dfcache.manager.db.ClusterRow;
import dev.dfcache.manager.db.ComponentRepository;
import dev.dfcache.manager.db.Database;
import dev.dfcache.manager.fleet.SchedulerFleet;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Predicate;
import org.apache.pekko.http.javadsl.model.HttpResponse;

/**
 * /api/v1/tasks: the tasks a cluster's schedulers know (a page at a time, or a search by cid or
 * task id), one task with its holders, and /api/v1/peers/{id}/tasks, the tasks a peer holds.
 * The manager stores no tasks: every answer comes from the schedulers at the time of the call.
 */
final class TaskResource {
  /** Searches and a peer's tasks look through at most this many tasks of the cluster. */
  static final int SCAN_LIMIT = 10_000;
  private static final int SCAN_PAGE = 1000;

  private final Database db;
  private final SchedulerFleet fleet;

  TaskResource(Database db, SchedulerFleet fleet) {
    this.db = db;
    this.fleet = fleet;
  }

  /** ?q=CID or task id [&tag=TAG]: a search; else ?page_token, ?page_size (1..1000). */
  CompletionStage<HttpResponse> list(Call call) {
    Optional<String> q = call.query("q").map(String::trim).filter(s -> !s.isEmpty());
    return cluster(call).thenCompose(cluster -> {
      if (q.isPresent()) {
        return search(cluster.id(), q.get(), call.query("tag").orElse(""));
      }
      int size = (int) call.queryLong("page_size", 1, 1000, 100);
      String token = call.query("page_token").orElse("");
      if (!token.isEmpty() && !TaskIds.isValidTaskId(token)) {
        throw ApiError.badRequest("page_token must be the next_page_token of a page");
      }
      return fleet.tasks(cluster.id(), token, size, false).thenApply(page -> {
        ObjectNode out = Json.object();
        out.put("scheduler_cluster_id", cluster.id());
        ArrayNode list = out.putArray("tasks");
        page.getTasksList().forEach(t -> list.add(json(t)));
        out.put("next_page_token", page.getNextPageToken());
        return Responses.ok(out);
      });
    });
  }

  /** GET /api/v1/tasks/{task_id}: the task with its holders; 404 when no peer holds it. */
  CompletionStage<HttpResponse> get(Call call) {
    String taskId = taskId(call.params().get(0));
    return cluster(call).thenCompose(cluster -> fleet.task(cluster.id(), taskId))
        .thenApply(found -> Responses.ok(json(found.orElseThrow(() -> notFound(taskId)))));
  }

  /** GET /api/v1/peers/{id}/tasks: the tasks the peer holds, or is downloading. */
  CompletionStage<HttpResponse> ofPeer(Call call) {
    long id = call.id(0);
    return db.query(c -> ComponentRepository.peerById(c, id)
            .orElseThrow(() -> ApiError.notFound("peer " + id + " not found")))
        .thenCompose(peer -> scan(peer.clusterId(), t -> t.getHoldersList().stream()
                .anyMatch(h -> h.getPeerId().equals(peer.hostId())))
            .thenApply(found -> {
              ObjectNode out = Json.object();
              out.put("peer_id", id);
              out.put("host_id", peer.hostId());
              ArrayNode list = out.putArray("tasks");
              for (TaskSummary t : found.tasks()) {
                ObjectNode o = json(t);
                o.remove("holders");
                t.getHoldersList().stream().filter(h -> h.getPeerId().equals(peer.hostId()))
                    .findFirst().ifPresent(h -> o.put("pieces_held", h.getPieces())
                        .put("done", h.getDone()));
                list.add(o);
              }
              out.put("complete", found.complete());
              return Responses.ok(out);
            }));
  }

  /**
   * A 64-hex query may be a task id or a cid (a content-addressed import's cid is its SHA-256),
   * so both are looked up; anything else is a cid. When the cid with the tag names no task (it
   * was imported with a digest, or the query is part of a cid), the cluster's tasks are searched
   * for cids containing the query.
   */
  private CompletionStage<HttpResponse> search(long clusterId, String q, String tag) {
    if (q.length() > TaskIds.MAX_CID_BYTES) {
      throw ApiError.badRequest("the query is longer than a cid may be");
    }
    String byCid = TaskIds.taskId(TaskIds.urlForCid(q),
        UrlMeta.newBuilder().setTag(tag).build());
    List<String> ids = TaskIds.isValidTaskId(q) ? List.of(q, byCid) : List.of(byCid);
    List<CompletableFuture<Optional<TaskSummary>>> lookups = ids.stream()
        .map(id -> fleet.task(clusterId, id).toCompletableFuture()).toList();
    return CompletableFuture.allOf(lookups.toArray(CompletableFuture[]::new))
        .thenCompose(done -> {
          Map<String, TaskSummary> found = new LinkedHashMap<>();
          lookups.forEach(l -> l.join().ifPresent(t -> found.put(t.getTaskId(), t)));
          if (!found.isEmpty()) {
            return CompletableFuture.completedFuture(new Scan(new ArrayList<>(found.values()),
                true));
          }
          return scan(clusterId, t -> TaskIds.cidOf(t.getUrl()).contains(q)
              && (tag.isEmpty() || t.getTag().equals(tag)));
        })
        .thenApply(found -> {
          ObjectNode out = Json.object();
          out.put("scheduler_cluster_id", clusterId);
          ArrayNode list = out.putArray("tasks");
          found.tasks().forEach(t -> list.add(json(t)));
          out.put("complete", found.complete());
          return Responses.ok(out);
        });
  }

  /** Tasks found by a scan; {@code complete} false when the scan stopped at its limit. */
  record Scan(List<TaskSummary> tasks, boolean complete) {}

  /** The cluster's tasks (with holders) that match, looking at {@link #SCAN_LIMIT} at most. */
  private CompletionStage<Scan> scan(long clusterId, Predicate<TaskSummary> match) {
    return scanFrom(clusterId, "", 0, match, new ArrayList<>());
  }

  private CompletionStage<Scan> scanFrom(long clusterId, String token, int seen,
      Predicate<TaskSummary> match, List<TaskSummary> found) {
    return fleet.tasks(clusterId, token, SCAN_PAGE, true).thenCompose((TaskPage page) -> {
      page.getTasksList().stream().filter(match).forEach(found::add);
      int total = seen + page.getTasksCount();
      if (page.getNextPageToken().isEmpty()) {
        return CompletableFuture.completedFuture(new Scan(found, true));
      }
      if (total >= SCAN_LIMIT) {
        return CompletableFuture.completedFuture(new Scan(found, false));
      }
      return scanFrom(clusterId, page.getNextPageToken(), total, match, found);
    });
  }

  private CompletionStage<ClusterRow> cluster(Call call) {
    long id = call.queryLong("scheduler_cluster_id", 1, Long.MAX_VALUE / 2, 0);
    return db.query(c -> ClusterResource.givenOrDefault(c, id));
  }

  static String taskId(String s) {
    if (!TaskIds.isValidTaskId(s)) {
      throw ApiError.badRequest("a task id is 64 lowercase hex characters");
    }
    return s;
  }

  static ApiError notFound(String taskId) {
    return ApiError.notFound("no peer of the cluster holds task " + taskId);
  }

  static ObjectNode json(TaskSummary t) {
    ObjectNode o = Json.object();
    o.put("task_id", t.getTaskId());
    o.put("cid", TaskIds.cidOf(t.getUrl()));
    o.put("tag", t.getTag());
    o.put("content_length", t.getContentLength());
    o.put("piece_count", t.getTotalPieceCount());
    if (t.getPieceSize() > 0) {
      o.put("piece_size", t.getPieceSize());
    }
    o.put("state", t.getState());
    o.put("peer_count", t.getPeerCount());
    o.put("replica_count", t.getReplicaCount());
    o.put("replicas_held", t.getReplicasHeld());
    o.put("expires_at", t.getExpiresAt());
    ArrayNode holders = o.putArray("holders");
    for (TaskHolder h : t.getHoldersList()) {
      holders.addObject()
          .put("peer_id", h.getPeerId())
          .put("hostname", h.getHostname())
          .put("ip", h.getIp())
          .put("idc", h.getIdc())
          .put("location", h.getLocation())
          .put("pieces", h.getPieces())
          .put("done", h.getDone());
    }
    return o;
  }
}
