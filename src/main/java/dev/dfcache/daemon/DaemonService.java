package dev.dfcache.daemon;

import static dev.dfcache.common.GrpcErrors.guard;

import com.google.protobuf.Empty;
import dev.dfcache.api.common.Code;
import dev.dfcache.api.common.PiecePacket;
import dev.dfcache.api.common.PieceTaskRequest;
import dev.dfcache.api.common.UrlMeta;
import dev.dfcache.api.dfdaemon.Daemon;
import dev.dfcache.api.dfdaemon.DeleteTaskRequest;
import dev.dfcache.api.dfdaemon.ExportTaskRequest;
import dev.dfcache.api.dfdaemon.ImportTaskRequest;
import dev.dfcache.api.dfdaemon.StatTaskRequest;
import dev.dfcache.common.ContentDigest;
import dev.dfcache.common.DfException;
import dev.dfcache.common.TaskIds;
import dev.dfcache.storage.PartialTask;
import dev.dfcache.storage.ServableTask;
import dev.dfcache.storage.StoredTask;
import dev.dfcache.storage.TaskOrigin;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.stream.javadsl.Source;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The daemon API (dfdaemon.Daemon) for the CLI, other clients and other peers. Requests are
 * checked here, strictly, before anything touches the store; blocking work runs on the I/O
 * dispatcher; downloads go through the {@link PeerTaskManager}.
 */
public final class DaemonService implements Daemon {
  private static final Logger log = LoggerFactory.getLogger(DaemonService.class);
  private static final Empty EMPTY = Empty.getDefaultInstance();
  /** Far beyond any sane export; larger values are a client bug. */
  static final Duration MAX_TIMEOUT = Duration.ofDays(30);

  private final DaemonEnv env;
  private final ActorRef<PeerTaskManager.Command> downloads;
  private final PieceTaskStreams pieceStreams;

  DaemonService(DaemonEnv env, ActorRef<PeerTaskManager.Command> downloads) {
    this.env = env;
    this.downloads = downloads;
    this.pieceStreams = new PieceTaskStreams(env);
  }

  @Override
  public CompletionStage<Empty> statTask(StatTaskRequest in) {
    return guard(() -> {
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
    });
  }

  @Override
  public CompletionStage<Empty> importTask(ImportTaskRequest in) {
    return guard(() -> {
      String taskId = TaskIds.validatedTaskId(in.getUrl(), in.getUrlMeta());
      Path source = within(checkedInput(in.getPath()), env.settings().allowedImportDirs(), "input");
      Optional<ContentDigest> expected = expectedDigest(in.getUrl(), in.getUrlMeta());
      TaskOrigin origin = originOf(taskId, in.getUrl(), in.getUrlMeta(), in.getTypeValue());
      return CompletableFuture
          .supplyAsync(() -> env.store().importFile(origin, source, expected), env.blocking())
          .thenCompose(stored -> env.gateway()
              .announce(stored.meta(), env.settings().announceAttempts())
              .handle((ok, t) -> {
                if (t != null) {
                  // The copy is safe on disk and the announcer retries; the caller must still
                  // learn that other peers cannot see the task yet.
                  throw new DfException(Code.SchedError, "imported locally, but the scheduler "
                      + "could not be told: " + DfException.of(t).getMessage());
                }
                return EMPTY;
              }));
    });
  }

  @Override
  public CompletionStage<Empty> exportTask(ExportTaskRequest in) {
    return guard(() -> {
      String taskId = TaskIds.validatedTaskId(in.getUrl(), in.getUrlMeta());
      Path output = checkedOutput(in.getOutput());
      within(output.getParent(), env.settings().allowedExportDirs(), "output");
      Duration timeout = checkedTimeout(in.getTimeout());
      double limit = in.getLimit();
      if (Double.isNaN(limit) || Double.isInfinite(limit) || limit < 0) {
        throw DfException.badRequest("limit must be a finite number of bytes/s >= 0");
      }
      if (in.getUid() < 0 || in.getGid() < 0 || in.getUid() > Integer.MAX_VALUE
          || in.getGid() > Integer.MAX_VALUE) {
        throw DfException.badRequest("uid and gid must be within 0.." + Integer.MAX_VALUE);
      }
      TaskOrigin origin = originOf(taskId, in.getUrl(), in.getUrlMeta(), 1);
      // Once the caller has been told "timed out", a download that finishes later must not
      // still put the file in place.
      java.util.concurrent.atomic.AtomicBoolean abandoned = new java.util.concurrent.atomic.AtomicBoolean();
      CompletableFuture<Empty> exported =
          exportRetrying(in, origin, output, limit, abandoned, EXPORT_ATTEMPTS).toCompletableFuture();
      return timeout.isZero() ? exported : exported.orTimeout(timeout.toNanos(), TimeUnit.NANOSECONDS)
          .exceptionally(t -> {
            if (t instanceof java.util.concurrent.TimeoutException
                || t.getCause() instanceof java.util.concurrent.TimeoutException) {
              abandoned.set(true);
            }
            if (DfException.of(t).code() == Code.RequestTimeOut) {
              throw new DfException(Code.RequestTimeOut,
                  "export of " + TaskIds.cidOf(in.getUrl()) + " timed out after " + timeout);
            }
            throw DfException.of(t);
          });
    });
  }

  /**
   * Attempts of one export whose local copy is deleted (or evicted) between its lookup and the
   * moment the store pins it. Each attempt loses only to a delete landing in that sub-millisecond
   * window; SoakIT's export/delete loops on one task lost three in a row once in ~60k operations.
   */
  private static final int EXPORT_ATTEMPTS = 8;

  /** An export whose task was deleted (or evicted) here between lookup and link gets it again. */
  private CompletionStage<Empty> exportRetrying(ExportTaskRequest in, TaskOrigin origin,
      Path output, double limit, java.util.concurrent.atomic.AtomicBoolean abandoned, int left) {
    return exportOnce(in, origin, output, limit, abandoned).handle((ok, t) -> {
      Throwable cause = t instanceof java.util.concurrent.CompletionException ? t.getCause() : t;
      if (cause instanceof dev.dfcache.storage.TaskVanishedException vanished) {
        return left > 1 ? exportRetrying(in, origin, output, limit, abandoned, left - 1)
            : CompletableFuture.<Empty>failedFuture(DfException.notFound(vanished.getMessage()));
      }
      return t == null ? CompletableFuture.completedFuture(ok)
          : CompletableFuture.<Empty>failedFuture(t);
    }).thenCompose(x -> x);
  }

  /** Finds the task (here, or downloaded from peers) and links or copies it to the output. */
  private CompletionStage<Empty> exportOnce(ExportTaskRequest in, TaskOrigin origin, Path output,
      double limit, java.util.concurrent.atomic.AtomicBoolean abandoned) {
    CompletionStage<StoredTask> task = env.store().get(origin.taskId())
        .<CompletionStage<StoredTask>>map(CompletableFuture::completedFuture)
        .orElseGet(() -> {
          if (in.getLocalOnly()) {
            throw notFound(in.getUrl(), "locally");
          }
          return download(origin, limit).exceptionally(t -> {
            DfException e = DfException.of(t);
            throw e.code() == Code.PeerTaskNotFound ? notFound(in.getUrl(), "on any peer") : e;
          });
        });
    return task.thenApplyAsync(t -> {
      if (abandoned.get()) {
        throw new DfException(Code.RequestTimeOut, "export abandoned after its timeout");
      }
      env.store().exportTo(t, output, in.getUid(), in.getGid());
      return EMPTY;
    }, env.blocking());
  }

  private CompletionStage<StoredTask> download(TaskOrigin origin, double limit) {
    return AskPattern.<PeerTaskManager.Command, PeerTaskManager.Result>ask(downloads,
            replyTo -> new PeerTaskManager.Download(origin, limit, replyTo),
            Duration.ofDays(1), env.system().scheduler())
        .thenApply(result -> {
          if (result.failure() != null) {
            throw result.failure();
          }
          return result.task();
        });
  }

  @Override
  public CompletionStage<Empty> deleteTask(DeleteTaskRequest in) {
    return guard(() -> {
      String taskId = TaskIds.validatedTaskId(in.getUrl(), in.getUrlMeta());
      return CompletableFuture.supplyAsync(() -> env.store().delete(taskId), env.blocking())
          .thenCompose(existed -> env.gateway().leave(taskId).handle((ok, t) -> {
            if (t != null) {
              log.warn("task {} deleted locally; leaving it at the scheduler failed: {}", taskId,
                  t.getMessage());
            }
            return EMPTY;
          }));
    });
  }

  @Override
  public CompletionStage<Empty> checkHealth(Empty in) {
    return CompletableFuture.completedFuture(EMPTY);
  }

  @Override
  public CompletionStage<PiecePacket> getPieceTasks(PieceTaskRequest in) {
    return guard(() -> CompletableFuture.completedFuture(pieceTasks(in)));
  }

  @Override
  public Source<PiecePacket, NotUsed> syncPieceTasks(Source<PieceTaskRequest, NotUsed> in) {
    return pieceStreams.open(in, this::pieceTasks);
  }

  private PiecePacket pieceTasks(PieceTaskRequest in) {
    String taskId = TaskIds.requireValidTaskId(in.getTaskId());
    ServableTask task = env.store().servable(taskId)
        .orElseThrow(() -> DfException.notFound("task " + taskId + " not found"));
    int start = (int) Math.min(Integer.MAX_VALUE, Integer.toUnsignedLong(in.getStartNum()));
    int limit = (int) Math.min(Integer.MAX_VALUE, Integer.toUnsignedLong(in.getLimit()));
    if (task instanceof PartialTask p) {
      return PiecePackets.of(p.meta(), env.self(), start, limit, p::hasPiece);
    }
    return PiecePackets.of(((StoredTask) task).meta(), env.self(), start, limit, n -> true);
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

  static Path checkedAbsolutePath(String raw, String what) {
    if (raw == null || raw.isBlank()) {
      throw DfException.badRequest(what + " path must not be empty");
    }
    if (raw.indexOf('\0') >= 0) {
      throw DfException.badRequest(what + " path contains a NUL byte");
    }
    Path p;
    try {
      p = Path.of(raw);
    } catch (InvalidPathException e) {
      throw DfException.badRequest(what + " path is not valid: " + e.getMessage());
    }
    if (!p.isAbsolute()) {
      throw DfException.badRequest(what + " path must be absolute: " + raw);
    }
    for (Path part : p) {
      if (part.toString().equals("..") || part.toString().equals(".")) {
        throw DfException.badRequest(what + " path must not contain . or .. segments: " + raw);
      }
    }
    return p;
  }

  /**
   * Checks that a path, with every symlink resolved, lies under one of the allowed directories
   * (none configured = anywhere), so a link cannot lead the daemon out of them.
   */
  static Path within(Path path, java.util.List<Path> allowed, String what) {
    if (allowed.isEmpty()) {
      return path;
    }
    Path real;
    try {
      real = path.toRealPath();
    } catch (java.io.IOException e) {
      throw DfException.badRequest(what + " path cannot be resolved: " + path);
    }
    for (Path dir : allowed) {
      try {
        if (real.startsWith(dir.toRealPath())) {
          return path;
        }
      } catch (java.io.IOException ignored) {
        // an allowed directory that does not exist allows nothing
      }
    }
    throw DfException.badRequest(what + " " + path + " is outside the allowed directories "
        + allowed);
  }

  static Path checkedInput(String raw) {
    Path p = checkedAbsolutePath(raw, "input");
    if (!Files.exists(p)) {
      throw DfException.badRequest("input file does not exist: " + p);
    }
    if (Files.isDirectory(p)) {
      throw DfException.badRequest("input is a directory, not a file: " + p);
    }
    if (!Files.isRegularFile(p)) {
      throw DfException.badRequest("input is not a regular file: " + p);
    }
    if (!Files.isReadable(p)) {
      throw DfException.badRequest("input file is not readable: " + p);
    }
    return p;
  }

  static Path checkedOutput(String raw) {
    Path p = checkedAbsolutePath(raw, "output");
    Path parent = p.getParent();
    if (parent == null || p.getFileName() == null) {
      throw DfException.badRequest("output must name a file: " + p);
    }
    if (!Files.isDirectory(parent)) {
      throw DfException.badRequest("output directory does not exist: " + parent);
    }
    if (Files.isDirectory(p)) {
      throw DfException.badRequest("output is a directory: " + p);
    }
    if (Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
      throw DfException.badRequest("output already exists (not overwritten): " + p);
    }
    if (!Files.isWritable(parent)) {
      throw DfException.badRequest("output directory is not writable: " + parent);
    }
    return p;
  }

  static Duration checkedTimeout(long nanos) {
    if (nanos < 0 || nanos > MAX_TIMEOUT.toNanos()) {
      throw DfException.badRequest("timeout must be between 0 (none) and " + MAX_TIMEOUT);
    }
    return Duration.ofNanos(nanos);
  }
}
