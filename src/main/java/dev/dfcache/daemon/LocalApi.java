package dev.dfcache.daemon;

import com.google.protobuf.Empty;
import dev.dfcache.access.Caller;
import dev.dfcache.access.CallerFiles;
import dev.dfcache.access.ExportTarget;
import dev.dfcache.access.PathScope;
import dev.dfcache.api.common.Code;
import dev.dfcache.api.common.UrlMeta;
import dev.dfcache.api.dfdaemon.DeleteTaskRequest;
import dev.dfcache.api.dfdaemon.ExportTaskRequest;
import dev.dfcache.api.dfdaemon.ImportTaskRequest;
import dev.dfcache.api.dfdaemon.StatTaskRequest;
import dev.dfcache.api.local.CachedTask;
import dev.dfcache.api.local.ListTasksRequest;
import dev.dfcache.api.local.TaskList;
import dev.dfcache.api.local.TaskStatus;
import dev.dfcache.api.peer.TaskSummary;
import dev.dfcache.common.ContentDigest;
import dev.dfcache.common.DfException;
import dev.dfcache.common.TaskIds;
import dev.dfcache.common.TransferProgress;
import dev.dfcache.storage.StoredTask;
import dev.dfcache.storage.TaskMeta;
import dev.dfcache.storage.TaskOrigin;
import dev.dfcache.storage.TaskVanishedException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The local API (StatTask, ImportTask, ExportTask, DeleteTask): what a user on this host asks
 * of the daemon. Served on the unix socket, where {@link Access#caller()} is who the kernel says
 * connected; over TCP only with the legacy flag, acting as the daemon itself inside the allowed
 * directories. Files are read and written with the caller's permissions checked on the opened
 * inodes (CallerFiles); the uid/gid fields of ExportTaskRequest are never trusted.
 */
public final class LocalApi {
  private static final Logger log = LoggerFactory.getLogger(LocalApi.class);
  private static final Empty EMPTY = Empty.getDefaultInstance();
  /** Far beyond any sane export; larger values are a client bug. */
  static final Duration MAX_TIMEOUT = Duration.ofDays(30);
  /**
   * Attempts of one export whose local copy is deleted (or evicted) between its lookup and the
   * moment the store pins it. Each attempt loses only to a delete landing in that sub-millisecond
   * window; SoakIT's export/delete loops on one task lost three in a row once in ~60k operations.
   */
  private static final int EXPORT_ATTEMPTS = 8;

  /** Whom a call acts for, and where it may read and write. */
  public record Access(Caller caller, PathScope imports, PathScope exports) {}

  private final DaemonEnv env;
  private final ActorRef<PeerTaskManager.Command> downloads;

  LocalApi(DaemonEnv env, ActorRef<PeerTaskManager.Command> downloads) {
    this.env = env;
    this.downloads = downloads;
  }

  public CompletionStage<Empty> stat(StatTaskRequest in) {
    return env.metrics().localCalls.time("stat", () -> statUntimed(in));
  }

  private CompletionStage<Empty> statUntimed(StatTaskRequest in) {
    String taskId = TaskIds.validatedTaskId(in.getUrl(), in.getUrlMeta());
    if (env.store().get(taskId).isPresent()) {
      return CompletableFuture.completedFuture(EMPTY);
    }
    if (in.getLocalOnly()) {
      throw notFound(in.getUrl(), "locally");
    }
    return env.gateway().stat(taskId).handle((task, failure) -> {
      if (failure != null) {
        DfException e = DfException.of(failure);
        throw e.code() == Code.PeerTaskNotFound ? notFound(in.getUrl(), "on any peer") : e;
      }
      if (task.getState().equals("Succeeded") && task.getHasAvailablePeer()) {
        return EMPTY;
      }
      throw notFound(in.getUrl(), "on any live peer");
    });
  }

  /**
   * An import that succeeded: the copy is stored, and announced, or its announce postponed
   * until a scheduler is known (a daemon given only a manager that has none registered yet):
   * the caller gets a warning, not an error, and the announcer announces it then.
   */
  public record Imported(boolean announced, String warning) {
    static final Imported ANNOUNCED = new Imported(true, "");
  }

  public CompletionStage<Imported> importTask(ImportTaskRequest in, Access access) {
    return importTask(in, access, TransferProgress.NONE);
  }

  /** ImportTask, its copy and hashing counted in {@code progress} as they go. */
  public CompletionStage<Imported> importTask(ImportTaskRequest in, Access access,
      TransferProgress progress) {
    String taskId = TaskIds.validatedTaskId(in.getUrl(), in.getUrlMeta());
    Optional<ContentDigest> expected = expectedDigest(in.getUrl(), in.getUrlMeta());
    Duration ttl = checkedTtl(in.getTtl(), env.tunables().defaultTtl());
    int replicas = in.getReplicaCount() == 0 ? env.tunables().defaultReplicaCount()
        : in.getReplicaCount();
    if (replicas < 1 || replicas > MAX_REPLICAS) {
      throw DfException.badRequest("replica count must be within 1.." + MAX_REPLICAS);
    }
    TaskOrigin origin = originOf(taskId, in.getUrl(), in.getUrlMeta(), in.getTypeValue())
        .withLifetime(ttl.isZero() ? 0 : System.currentTimeMillis() + ttl.toMillis(), replicas);
    return CompletableFuture.supplyAsync(() -> {
          try (FileChannel source =
                   CallerFiles.openForReading(access.caller(), in.getPath(), access.imports())) {
            return env.store().importFile(origin, source, in.getPath(), expected, progress);
          } catch (IOException e) {
            throw DfException.badRequest("cannot read " + in.getPath() + ": " + e.getMessage());
          }
        }, env.blocking())
        .thenCompose(stored -> NetworkDeletes
            .announce(env, stored.meta(), env.settings().announceAttempts(), true)
            .handle((ok, t) -> {
              if (t == null) {
                return Imported.ANNOUNCED;
              }
              DfException e = DfException.of(t);
              if (e instanceof NoSchedulerKnownException) {
                // Nothing went wrong: the daemon is told when a scheduler is known, and the
                // announcer announces the copy then.
                String warning = "stored, announce postponed: " + e.getMessage()
                    + " (announced as soon as one is known)";
                log.info("import of task {}: {}", stored.meta().taskId(), warning);
                return new Imported(false, warning);
              }
              // The copy is safe on disk and the announcer retries; the caller must still
              // learn that other peers cannot see the task yet.
              throw new DfException(Code.SchedError, "imported locally, but the scheduler "
                  + "could not be told: " + e.getMessage());
            }));
  }

  public CompletionStage<Empty> exportTask(ExportTaskRequest in, Access access) {
    return exportTask(in, access, TransferProgress.NONE);
  }

  /**
   * ExportTask, counted in {@code progress}: the pieces of a download as they are verified and
   * written (with the parents they came from), or the copy of a task held here. Timed for the
   * latency charts, from the call to its answer.
   */
  public CompletionStage<Empty> exportTask(ExportTaskRequest in, Access access,
      TransferProgress progress) {
    return env.metrics().localCalls.time("export", () -> exportUntimed(in, access, progress));
  }

  private CompletionStage<Empty> exportUntimed(ExportTaskRequest in, Access access,
      TransferProgress progress) {
    String taskId = TaskIds.validatedTaskId(in.getUrl(), in.getUrlMeta());
    Duration timeout = checkedTimeout(in.getTimeout());
    double limit = in.getLimit();
    if (Double.isNaN(limit) || Double.isInfinite(limit) || limit < 0) {
      throw DfException.badRequest("limit must be a finite number of bytes/s >= 0");
    }
    if (in.getUid() < 0 || in.getGid() < 0 || in.getUid() > Integer.MAX_VALUE
        || in.getGid() > Integer.MAX_VALUE) {
      // Never used (the output belongs to the caller the kernel names), still held to sense.
      throw DfException.badRequest("uid and gid must be within 0.." + Integer.MAX_VALUE);
    }
    TaskOrigin origin = originOf(taskId, in.getUrl(), in.getUrlMeta(), 1);
    // Once the caller has been told "timed out", a download that finishes later must not
    // still put the file in place.
    AtomicBoolean abandoned = new AtomicBoolean();
    CompletableFuture<Empty> exported = CompletableFuture
        // fail fast, before any download, when the output could not be written anyway
        .runAsync(() -> probeOutput(in.getOutput(), access), env.blocking())
        .thenCompose(x -> exportRetrying(in, origin, limit, access, abandoned, EXPORT_ATTEMPTS,
            progress));
    return timeout.isZero() ? exported
        : exported.orTimeout(timeout.toNanos(), TimeUnit.NANOSECONDS).exceptionally(t -> {
          if (t instanceof TimeoutException || t.getCause() instanceof TimeoutException) {
            abandoned.set(true);
          }
          if (DfException.of(t).code() == Code.RequestTimeOut) {
            throw new DfException(Code.RequestTimeOut,
                "export of " + TaskIds.cidOf(in.getUrl()) + " timed out after " + timeout);
          }
          throw DfException.of(t);
        });
  }

  private void probeOutput(String output, Access access) {
    try (ExportTarget probe = CallerFiles.createOutput(access.caller(), output, access.exports())) {
      // checked, and the temp file it made goes again
    }
  }

  /** An export whose task was deleted (or evicted) here between lookup and link gets it again. */
  private CompletionStage<Empty> exportRetrying(ExportTaskRequest in, TaskOrigin origin,
      double limit, Access access, AtomicBoolean abandoned, int left,
      TransferProgress progress) {
    return exportOnce(in, origin, limit, access, abandoned, progress).handle((ok, t) -> {
      Throwable cause = t instanceof CompletionException ? t.getCause() : t;
      if (cause instanceof TaskVanishedException vanished) {
        return left > 1
            ? exportRetrying(in, origin, limit, access, abandoned, left - 1, progress)
            : CompletableFuture.<Empty>failedFuture(DfException.notFound(vanished.getMessage()));
      }
      return t == null ? CompletableFuture.completedFuture(ok)
          : CompletableFuture.<Empty>failedFuture(t);
    }).thenCompose(x -> x);
  }

  /** Finds the task (here, or downloaded from peers) and links or copies it to the output. */
  private CompletionStage<Empty> exportOnce(ExportTaskRequest in, TaskOrigin origin,
      double limit, Access access, AtomicBoolean abandoned, TransferProgress progress) {
    Optional<StoredTask> here = env.store().get(origin.taskId());
    // a download counts its pieces; only a task held here counts the copy to the output
    TransferProgress copying = here.isPresent() ? progress : TransferProgress.NONE;
    CompletionStage<StoredTask> task = here
        .<CompletionStage<StoredTask>>map(CompletableFuture::completedFuture)
        .orElseGet(() -> {
          if (in.getLocalOnly()) {
            throw notFound(in.getUrl(), "locally");
          }
          return download(origin, limit, progress).exceptionally(t -> {
            DfException e = DfException.of(t);
            throw e.code() == Code.PeerTaskNotFound ? notFound(in.getUrl(), "on any peer") : e;
          });
        });
    return task.thenApplyAsync(t -> {
      if (abandoned.get()) {
        throw new DfException(Code.RequestTimeOut, "export abandoned after its timeout");
      }
      try (ExportTarget target =
               CallerFiles.createOutput(access.caller(), in.getOutput(), access.exports())) {
        env.store().exportTo(t, target, access.caller().isRoot(), copying);
      }
      return EMPTY;
    }, env.blocking());
  }

  private CompletionStage<StoredTask> download(TaskOrigin origin, double limit,
      TransferProgress progress) {
    return AskPattern.<PeerTaskManager.Command, PeerTaskManager.Result>ask(downloads,
            replyTo -> new PeerTaskManager.Download(origin, limit, progress, replyTo),
            Duration.ofDays(1), env.system().scheduler())
        .thenApply(result -> {
          if (result.failure() != null) {
            throw result.failure();
          }
          return result.task();
        });
  }

  /**
   * Deletes this node's copy, then (unless local_only) the task from every holder: the scheduler
   * forgets the task and tells its holders, and holders that are down drop their copies when
   * they come back. Deleting a task nobody holds is OK.
   */
  public CompletionStage<Empty> deleteTask(DeleteTaskRequest in) {
    String taskId = TaskIds.validatedTaskId(in.getUrl(), in.getUrlMeta());
    CompletionStage<Boolean> local =
        CompletableFuture.supplyAsync(() -> env.store().delete(taskId), env.blocking());
    if (!in.getLocalOnly()) {
      return local.thenCompose(existed -> env.gateway().dropEverywhere(taskId))
          .handle((ok, t) -> {
            if (t != null) {
              throw new DfException(DfException.of(t).code(), "deleted here, but not from the "
                  + "network: " + DfException.of(t).getMessage());
            }
            return EMPTY;
          });
    }
    return local
        .thenCompose(existed -> env.gateway().leave(taskId).handle((ok, t) -> {
          if (t != null) {
            log.warn("task {} deleted locally; leaving it at the scheduler failed: {}", taskId,
                t.getMessage());
          }
          return EMPTY;
        }));
  }

  /**
   * The tasks this node holds, oldest first (expired ones are gone already); with
   * {@code cluster}, a page of the tasks the scheduler fleet knows.
   */
  public CompletionStage<TaskList> listTasks(ListTasksRequest in) {
    if (in.getCluster()) {
      return env.gateway().listTasks(in.getPageSize(), in.getPageToken())
          .thenApply(page -> TaskList.newBuilder().addAllClusterTasks(page.getTasksList())
              .setNextPageToken(page.getNextPageToken()).build());
    }
    return CompletableFuture.supplyAsync(() -> {
      long now = System.currentTimeMillis();
      TaskList.Builder list = TaskList.newBuilder();
      env.store().all().stream()
          .map(StoredTask::meta)
          .filter(m -> !m.expiredAt(now))
          .sorted(java.util.Comparator.comparingLong(TaskMeta::createdAtMillis))
          .forEach(m -> list.addTasks(cachedTaskOf(m)));
      return list.build();
    }, env.blocking());
  }

  /**
   * What is known of one task: this node's copy, and (unless local_only) the scheduler's view,
   * with the copies wanted and held. NotFound, as StatTask, when neither this node nor a live
   * peer holds it; with a local copy, a scheduler that cannot be asked leaves the view out.
   */
  public CompletionStage<TaskStatus> describeTask(StatTaskRequest in) {
    return env.metrics().localCalls.time("stat", () -> describeUntimed(in));
  }

  private CompletionStage<TaskStatus> describeUntimed(StatTaskRequest in) {
    String taskId = TaskIds.validatedTaskId(in.getUrl(), in.getUrlMeta());
    long now = System.currentTimeMillis();
    Optional<CachedTask> local = env.store().get(taskId).map(StoredTask::meta)
        .filter(m -> !m.expiredAt(now)).map(LocalApi::cachedTaskOf);
    TaskStatus.Builder out = TaskStatus.newBuilder().setTaskId(taskId);
    local.ifPresent(out::setLocal);
    if (in.getLocalOnly()) {
      if (local.isEmpty()) {
        throw notFound(in.getUrl(), "locally");
      }
      return CompletableFuture.completedFuture(out.build());
    }
    return env.gateway().stat(taskId).handle((task, failure) -> {
      if (failure != null) {
        DfException e = DfException.of(failure);
        if (local.isPresent()) {
          return out.build();
        }
        throw e.code() == Code.PeerTaskNotFound ? notFound(in.getUrl(), "on any peer") : e;
      }
      out.setNetwork(TaskSummary.newBuilder().setTaskId(taskId).setUrl(in.getUrl())
          .setTag(in.getUrlMeta().getTag()).setContentLength(task.getContentLength())
          .setTotalPieceCount(task.getTotalPieceCount()).setState(task.getState())
          .setPeerCount(task.getPeerCount()).setReplicaCount(task.getReplicaCount())
          .setReplicasHeld(task.getReplicasHeld()).setExpiresAt(task.getExpiresAt()));
      if (local.isPresent() || (task.getState().equals("Succeeded") && task.getHasAvailablePeer())) {
        return out.build();
      }
      throw notFound(in.getUrl(), "on any live peer");
    });
  }

  private static CachedTask cachedTaskOf(TaskMeta m) {
    return CachedTask.newBuilder()
        .setTaskId(m.taskId()).setCid(TaskIds.cidOf(m.url())).setTag(m.tag())
        .setContentLength(m.contentLength()).setPieceCount(m.pieceCount())
        .setCreatedAt(m.createdAtMillis()).setExpiresAt(m.expiresAtMillis())
        .setReplicaCount(m.isReplica() ? m.replicaCount() : 0)
        .build();
  }

  private static DfException notFound(String url, String where) {
    return DfException.notFound("task " + TaskIds.cidOf(url) + " does not exist " + where);
  }

  private static TaskOrigin originOf(String taskId, String url, UrlMeta meta, int type) {
    return new TaskOrigin(taskId, url, meta.getTag(), meta.getApplication(), type);
  }

  /** The digest that names the content, from UrlMeta.digest or a cid "sha256:&lt;hex&gt;". */
  static Optional<ContentDigest> expectedDigest(String url, UrlMeta meta) {
    if (!meta.getDigest().isEmpty()) {
      return Optional.of(ContentDigest.parse(meta.getDigest()).orElseThrow(() ->
          DfException.badRequest("digest must be sha256:<64 hex> or md5:<32 hex>")));
    }
    return ContentDigest.parse(TaskIds.cidOf(url)).filter(d -> d.algorithm().equals("sha256"));
  }

  /** Most copies an import may ask the network to keep. */
  static final int MAX_REPLICAS = 64;

  /** Longest TTL an import may ask for. */
  static final Duration MAX_TTL = Duration.ofDays(365);

  /** The request's TTL (nanoseconds; 0 = the default), within 1 s .. 365 days. */
  static Duration checkedTtl(long nanos, Duration byDefault) {
    if (nanos == 0) {
      return byDefault;
    }
    if (nanos < 0 || nanos > MAX_TTL.toNanos()) {
      throw DfException.badRequest("ttl must be at most " + MAX_TTL.toDays() + " days");
    }
    if (nanos < 1_000_000_000L) {
      throw DfException.badRequest("ttl must be at least 1s (0 = the daemon's default)");
    }
    return Duration.ofNanos(nanos);
  }

  static Duration checkedTimeout(long nanos) {
    if (nanos < 0 || nanos > MAX_TIMEOUT.toNanos()) {
      throw DfException.badRequest("timeout must be between 0 (none) and " + MAX_TIMEOUT);
    }
    return Duration.ofNanos(nanos);
  }
}
