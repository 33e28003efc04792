package dev.dfcache.manager.rest;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dfcache.api.common.UrlMeta;
import dev.dfcache.common.TaskIds;
import dev.dfcache.manager.db.AuditRepository;
import dev.dfcache.manager.db.Database;
import dev.dfcache.manager.db.JobRepository;
import dev.dfcache.manager.db.JobRepository.Job;
import dev.dfcache.manager.jobs.JobRunner;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.headers.Location;

/**
 * /api/v1/jobs: work for the schedulers, started by a root user and followed by polling the
 * job. One type today, {@code delete_task}: {"type": "delete_task", "args": {"task_id": ID}} or
 * {"args": {"cid": CID, "tag": TAG}}, in the default cluster unless scheduler_cluster_id.
 */
final class JobResource {
  private static final Set<String> CREATE_FIELDS = Set.of("type", "args", "scheduler_cluster_id");
  private static final Set<String> DELETE_ARGS = Set.of("task_id", "cid", "tag");
  static final String PATH = "/api/v1/jobs";

  private final Database db;
  private final JobRunner runner;

  JobResource(Database db, JobRunner runner) {
    this.db = db;
    this.runner = runner;
  }

  CompletionStage<HttpResponse> create(Call call) {
    ObjectNode body = JsonBodies.parse(call.body(), CREATE_FIELDS);
    String type = JsonBodies.requiredString(body, "type", 64);
    if (!type.equals(JobRunner.DELETE_TASK)) {
      throw ApiError.badRequest("unknown job type " + type + " (known: "
          + JobRunner.DELETE_TASK + ")");
    }
    ObjectNode args = JsonBodies.optionalObject(body, "args");
    if (args == null) {
      throw ApiError.badRequest("args is required: {\"task_id\": ID} or {\"cid\": CID}");
    }
    String taskId = deletedTask(args);
    long clusterId = JsonBodies.optionalLong(body, "scheduler_cluster_id", 1,
        Long.MAX_VALUE / 2, 0);
    ObjectNode stored = Json.object().put("task_id", taskId);
    if (args.has("cid")) {
      stored.put("cid", args.get("cid").asText()).put("tag", args.path("tag").asText(""));
    }
    return db.transaction(c -> {
      long cluster = ClusterResource.givenOrDefault(c, clusterId).id();
      Job job = JobRepository.create(c, type, cluster, Json.text(stored), call.user().name());
      AuditRepository.record(c, call.user().name(), "job.create", "job/" + job.id(),
          Json.text(Json.object().put("type", type).set("args", stored)));
      return job;
    }).thenApply(job -> {
      runner.start(job, taskId);
      return Responses.created(json(job)).addHeader(Location.create(PATH + "/" + job.id()));
    });
  }

  CompletionStage<HttpResponse> get(Call call) {
    long id = call.id(0);
    return db.query(c -> JobRepository.get(c, id)).thenApply(job -> Responses.ok(json(
        job.orElseThrow(() -> ApiError.notFound("job " + id + " not found")))));
  }

  CompletionStage<HttpResponse> list(Call call) {
    int limit = (int) call.queryLong("limit", 1, 1000, 100);
    return db.query(c -> JobRepository.recent(c, limit)).thenApply(jobs -> {
      ArrayNode out = Json.MAPPER.createArrayNode();
      jobs.forEach(j -> out.add(json(j)));
      return Responses.ok(out);
    });
  }

  /** The task a delete_task job names: by task id, or by cid and tag. */
  private static String deletedTask(ObjectNode args) {
    args.fieldNames().forEachRemaining(f -> {
      if (!DELETE_ARGS.contains(f)) {
        throw ApiError.badRequest("unknown field args." + f + " (known: task_id, cid, tag)");
      }
    });
    String taskId = JsonBodies.optionalString(args, "task_id", 64, null);
    String cid = JsonBodies.optionalString(args, "cid", TaskIds.MAX_CID_BYTES, null);
    String tag = JsonBodies.optionalString(args, "tag", TaskIds.MAX_META_BYTES, "");
    if ((taskId == null) == (cid == null || cid.isEmpty())) {
      throw ApiError.badRequest("args must name the task by task_id or by cid (and tag), "
          + "not both");
    }
    if (taskId != null) {
      return TaskResource.taskId(taskId);
    }
    return TaskIds.taskId(TaskIds.urlForCid(cid), UrlMeta.newBuilder().setTag(tag).build());
  }

  static ObjectNode json(Job j) {
    ObjectNode o = Json.object();
    o.put("id", j.id());
    o.put("type", j.type());
    o.put("state", j.state());
    o.put("scheduler_cluster_id", j.clusterId());
    o.set("args", Json.stored(j.args()));
    o.set("result", Json.stored(j.result()));
    o.put("progress", j.progress());
    o.put("user_name", j.userName());
    o.put("created_at", j.createdAt());
    o.put("updated_at", j.updatedAt());
    return o;
  }
}
