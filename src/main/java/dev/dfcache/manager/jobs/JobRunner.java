package dev.dfcache.manager.jobs;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dfcache.api.peer.TaskHolder;
import dev.dfcache.api.peer.TaskSummary;
import dev.dfcache.common.DfException;
import dev.dfcache.manager.db.Database;
import dev.dfcache.manager.db.JobRepository;
import dev.dfcache.manager.db.JobRepository.Job;
import dev.dfcache.manager.fleet.SchedulerFleet;
import dev.dfcache.manager.rest.Json;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Carries out jobs in the manager that created them, step by step, writing each step's
 * progress line to the job's row so that any manager (and the console polling it) sees where
 * it is. Today one type: {@value #DELETE_TASK}, a task deleted from every holder of a cluster
 * (the scheduler that owns the task forgets it, remembers the deletion and tells each holder).
 */
public final class JobRunner {
  public static final String DELETE_TASK = "delete_task";
  /** How long after the delete the task must still be unknown to the scheduler. */
  static final Duration SETTLE = Duration.ofSeconds(1);
  private static final Logger log = LoggerFactory.getLogger(JobRunner.class);

  private final Database db;
  private final SchedulerFleet fleet;

  public JobRunner(Database db, SchedulerFleet fleet) {
    this.db = db;
    this.fleet = fleet;
  }

  /** Starts a job created just now; its outcome is in its row. */
  public void start(Job job, String taskId) {
    step(job, JobRepository.RUNNING, "looking up the holders of task " + taskId)
        .thenCompose(v -> fleet.task(job.clusterId(), taskId))
        .thenCompose(found -> {
          if (found.isEmpty()) {
            return finish(job, JobRepository.FAILURE, "no peer of the cluster holds task "
                + taskId, result(taskId, List.of()));
          }
          List<TaskHolder> holders = found.get().getHoldersList();
          return step(job, JobRepository.RUNNING, "deleting from " + holders.size()
                  + " holder(s): " + names(holders))
              .thenCompose(v -> fleet.deleteTask(job.clusterId(), taskId))
              .thenCompose(v -> after(SETTLE))
              .thenCompose(v -> fleet.task(job.clusterId(), taskId))
              .thenCompose(again -> again.isPresent()
                  ? finish(job, JobRepository.FAILURE, "task " + taskId + " is held again by "
                      + names(again.get().getHoldersList()), result(taskId, holders))
                  : finish(job, JobRepository.SUCCESS, "deleted from " + holders.size()
                      + " holder(s): " + names(holders), result(taskId, holders)));
        })
        .exceptionally(t -> {
          String why = t instanceof java.util.concurrent.CompletionException && t.getCause() != null
              ? message(t.getCause()) : message(t);
          log.warn("job {} ({}) failed: {}", job.id(), job.type(), why);
          finish(job, JobRepository.FAILURE, why, null);
          return null;
        });
  }

  private static String message(Throwable t) {
    if (t instanceof SchedulerFleet.NoSchedulerException) {
      return t.getMessage();
    }
    return "the scheduler refused: " + DfException.of(t).getMessage();
  }

  private CompletionStage<Void> step(Job job, String state, String progress) {
    return db.query(c -> {
      JobRepository.update(c, job.id(), state, progress, null);
      return null;
    });
  }

  private CompletionStage<Void> finish(Job job, String state, String progress,
      ObjectNode result) {
    return db.query(c -> {
      JobRepository.update(c, job.id(), state, progress,
          result == null ? null : Json.text(result));
      return null;
    });
  }

  private static ObjectNode result(String taskId, List<TaskHolder> holders) {
    ObjectNode out = Json.object();
    out.put("task_id", taskId);
    ArrayNode list = out.putArray("holders");
    for (TaskHolder h : holders) {
      list.addObject().put("peer_id", h.getPeerId()).put("hostname", h.getHostname())
          .put("ip", h.getIp());
    }
    return out;
  }

  private static String names(List<TaskHolder> holders) {
    return holders.stream().map(h -> h.getHostname().isEmpty() ? h.getIp() : h.getHostname())
        .collect(Collectors.joining(", "));
  }

  private static CompletionStage<Void> after(Duration d) {
    return CompletableFuture.runAsync(() -> { },
        CompletableFuture.delayedExecutor(d.toMillis(), TimeUnit.MILLISECONDS));
  }
}
