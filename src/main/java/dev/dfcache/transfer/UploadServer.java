package dev.dfcache.transfer;

import dev.dfcache.common.TaskIds;
import dev.dfcache.metrics.DaemonMetrics;
import dev.dfcache.metrics.MetricsEndpoint;
import dev.dfcache.storage.ServableTask;
import dev.dfcache.storage.StoredTask;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.pekko.NotUsed;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpMethods;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;

/**
 * The peer's piece upload endpoint, Dragonfly's shape: {@code GET /download/<id[0:3]>/<id>
 * ?peerId=<peer>} with one {@code Range: bytes=a-b}. A file is found by task id in the store and
 * nothing else: no part of the request ever becomes a path (CVE-2025-59352 was exactly that).
 * Only verified bytes are served; a range a peer does not hold yet is 404. The same port answers
 * GET /metrics (Prometheus text) and GET /healthz.
 */
public final class UploadServer implements Function<HttpRequest, CompletionStage<HttpResponse>> {
  private static final Pattern PATH = Pattern.compile("^/download/([^/]{1,8})/([^/]{1,128})$");
  private static final Pattern RANGE = Pattern.compile("^bytes=(\\d{1,19})-(\\d{0,19})$");

  private final Function<String, Optional<ServableTask>> tasks;
  private final DaemonMetrics metrics;
  private final TokenBucket uploadLimit;
  private final int maxConcurrentUploads;
  private final UploadSlots slots;
  private final boolean peersOnly;
  /** A response whose body has not started by then was never sent (see body()). */
  static final long UNSENT_RELEASE_MS = 10_000;
  /** startedNanos of a response whose stream has not run yet. */
  private static final long NOT_STARTED = Long.MIN_VALUE;

  /**
   * @param uploadLimit shared by every upload of this daemon, or null for none
   * @param maxConcurrentUploads more at once are refused with 503, so downloaders go elsewhere
   * @param maxUploadsPerTask more of one task at once are refused too (0 = no such limit); see
   *     {@link UploadSlots}
   */
  public UploadServer(Function<String, Optional<ServableTask>> tasks, DaemonMetrics metrics,
      TokenBucket uploadLimit, int maxConcurrentUploads, int maxUploadsPerTask) {
    this(tasks, metrics, uploadLimit, maxConcurrentUploads, maxUploadsPerTask, false);
  }

  /** @param peersOnly piece downloads need a client certificate of the CA (mutual TLS) */
  public UploadServer(Function<String, Optional<ServableTask>> tasks, DaemonMetrics metrics,
      TokenBucket uploadLimit, int maxConcurrentUploads, int maxUploadsPerTask,
      boolean peersOnly) {
    this.peersOnly = peersOnly;
    this.tasks = tasks;
    this.metrics = metrics;
    this.uploadLimit = uploadLimit;
    this.maxConcurrentUploads = maxConcurrentUploads;
    this.slots = new UploadSlots(maxConcurrentUploads, maxUploadsPerTask);
  }

  /** Piece uploads being served now. */
  public int activeUploads() {
    return slots.active();
  }

  /** Piece uploads served at once at most (the manager's load_limit may change it live). */
  public int maxConcurrentUploads() {
    return slots.maxTotal();
  }

  public void setMaxConcurrentUploads(int max) {
    slots.setMaxTotal(max);
  }

  @Override
  public CompletionStage<HttpResponse> apply(HttpRequest request) {
    HttpResponse response;
    try {
      response = handle(request);
    } catch (RuntimeException e) {
      response = error(StatusCodes.INTERNAL_SERVER_ERROR, "upload failed: " + e.getMessage());
    }
    return CompletableFuture.completedFuture(response);
  }

  HttpResponse handle(HttpRequest request) {
    if (!request.method().equals(HttpMethods.GET)) {
      return error(StatusCodes.METHOD_NOT_ALLOWED, "only GET is served");
    }
    String path = request.getUri().path();
    if (path.equals("/metrics")) {
      return MetricsEndpoint.response(metrics.registry);
    }
    if (path.equals("/healthz")) {
      return HttpResponse.create().withEntity("ok\n");
    }
    if (peersOnly && !dev.dfcache.tls.PeerTls.presentedCertificate(request)) {
      return error(StatusCodes.FORBIDDEN, "pieces are served to peers with a certificate of the "
          + "cluster's CA only");
    }
    Matcher m = PATH.matcher(path);
    if (!m.matches()) {
      return error(StatusCodes.NOT_FOUND, "expected /download/<id[0:3]>/<task id>");
    }
    String taskId = m.group(2);
    if (!TaskIds.isValidTaskId(taskId) || !m.group(1).equals(taskId.substring(0, 3))) {
      return error(StatusCodes.BAD_REQUEST, "task id must be 64 lowercase hex characters, "
          + "under its first 3");
    }
    Optional<ServableTask> found = tasks.apply(taskId);
    if (found.isEmpty()) {
      return error(StatusCodes.NOT_FOUND, "task " + taskId + " not held here");
    }
    ServableTask task = found.get();
    long length = task.contentLength();
    long start = 0;
    long end = length;
    boolean partial = false;
    Optional<String> rangeHeader = request.getHeader("Range").map(h -> h.value().trim());
    if (rangeHeader.isPresent()) {
      Matcher r = RANGE.matcher(rangeHeader.get());
      if (!r.matches()) {
        return error(StatusCodes.BAD_REQUEST, "one range of the form bytes=a-b is supported");
      }
      start = Long.parseLong(r.group(1));
      end = r.group(2).isEmpty() ? length : Long.parseLong(r.group(2)) + 1;
      if (end <= start || start >= length || end > length) {
        return HttpResponse.create().withStatus(StatusCodes.RANGE_NOT_SATISFIABLE)
            .addHeader(RawHeader.create("Content-Range", "bytes */" + length))
            .withEntity("range " + rangeHeader.get() + " is outside 0-" + (length - 1) + "\n");
      }
      partial = true;
    }
    if (!task.hasRange(start, end)) {
      return error(StatusCodes.NOT_FOUND, "range not held here yet");
    }
    String peerId = request.getUri().query().get("peerId").orElse("");
    boolean wholeTask = task instanceof StoredTask; // a seed: not a partial download
    UploadSlots.Refusal refused = slots.tryAcquire(taskId, start, peerId, wholeTask);
    if (refused != null) {
      metrics.uploadsRejected.labelValues(refused.name().toLowerCase(java.util.Locale.ROOT)).inc();
      return error(StatusCodes.SERVICE_UNAVAILABLE, switch (refused) {
        case HOST_FULL -> "busy: " + maxConcurrentUploads + " uploads in progress";
        case TASK_FULL -> "busy: this task's upload slots are taken, try another parent";
        case PIECE_BUSY -> "busy: this piece is being uploaded to another peer, try another";
      });
    }
    metrics.activeUploads.inc();
    HttpResponse response = HttpResponse.create()
        .withStatus(partial ? StatusCodes.PARTIAL_CONTENT : StatusCodes.OK)
        .withEntity(HttpEntities.create(ContentTypes.APPLICATION_OCTET_STREAM, end - start,
            body(task, start, end, peerId, wholeTask)));
    if (partial) {
      response = response.addHeader(
          RawHeader.create("Content-Range", "bytes " + start + "-" + (end - 1) + "/" + length));
    }
    return response;
  }

  /**
   * The range as a stream: rate-limited, counted, and releasing its upload slot at the end. A
   * response the server never starts to send (its client went away first) never runs the stream:
   * its slot is released after {@link #UNSENT_RELEASE_MS} instead, or it would be lost for good.
   */
  private Source<ByteString, NotUsed> body(ServableTask task, long start, long end,
      String peerId, boolean wholeTask) {
    Source<ByteString, NotUsed> chunks = PieceRangeSource.of(task.dataFile(), start, end);
    String taskId = task.taskId();
    if (uploadLimit != null && !uploadLimit.unlimited()) {
      chunks = chunks.via(uploadLimit.pace(ByteString::size));
    }
    AtomicLong startedNanos = new AtomicLong(NOT_STARTED);
    AtomicBoolean released = new AtomicBoolean();
    Consumer<Boolean> release = sentAll -> {
      if (released.compareAndSet(false, true)) {
        slots.release(taskId, start, peerId,
            sentAll && wholeTask ? System.nanoTime() - startedNanos.get() : -1);
        metrics.activeUploads.dec();
      }
    };
    CompletableFuture.delayedExecutor(UNSENT_RELEASE_MS, TimeUnit.MILLISECONDS).execute(() -> {
      if (startedNanos.get() == NOT_STARTED) {
        release.accept(false);
      }
    });
    return chunks
        .map(c -> {
          metrics.uploadedBytes.inc(c.size());
          return c;
        })
        .watchTermination((mat, done) -> {
          startedNanos.set(System.nanoTime());
          done.whenComplete((d, t) -> release.accept(t == null));
          return mat;
        });
  }

  private static HttpResponse error(StatusCode status, String message) {
    return HttpResponse.create().withStatus(status).withEntity(message + "\n");
  }
}
