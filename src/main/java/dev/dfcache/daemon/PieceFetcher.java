package dev.dfcache.daemon;

import dev.dfcache.api.common.Code;
import dev.dfcache.common.DfException;
import dev.dfcache.storage.PartialTask;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;

/**
 * Fetches one piece's bytes from a parent's upload server (Dragonfly's {@code GET
 * /download/<id[0:3]>/<id>} with one Range) into an {@link PartialTask.IncomingPiece}, which
 * hashes the chunks as they arrive. A fetch that is cancelled (an endgame duplicate that lost)
 * stops reading, which closes its connection.
 */
final class PieceFetcher {

  /** The parent is at its upload limit (503): fine, just not now. Not held against it. */
  static final class ParentBusyException extends DfException {
    ParentBusyException(String parentId) {
      super(Code.ClientPieceRequestFail, "parent " + parentId + " is busy");
    }
  }

  private final DaemonEnv env;
  private final String taskId;

  PieceFetcher(DaemonEnv env, String taskId) {
    this.env = env;
    this.taskId = taskId;
  }

  /**
   * GETs the piece's bytes from {@code start} on, within piece-timeout. Completes with true when
   * all of them arrived, false when the fetch was cancelled.
   */
  CompletableFuture<Boolean> fetch(String uploadAddress, String parentId, long start,
      PartialTask.IncomingPiece incoming, BooleanSupplier cancelled) {
    long last = start + incoming.expectedSize() - 1;
    HttpRequest request = HttpRequest
        .GET((env.peerTls() == null ? "http://" : "https://") + uploadAddress + "/download/"
            + taskId.substring(0, 3) + "/" + taskId + "?peerId=" + env.self().id())
        .addHeader(RawHeader.create("Range", "bytes=" + start + "-" + last));
    Http http = Http.get(env.system());
    return (env.peerTls() == null ? http.singleRequest(request)
            : http.singleRequest(request, env.peerTls().pieceClient()))
        .thenCompose(response -> receive(response, parentId, incoming, cancelled))
        .toCompletableFuture()
        .orTimeout(env.settings().pieceTimeout().toMillis(), TimeUnit.MILLISECONDS);
  }

  private CompletionStage<Boolean> receive(HttpResponse response, String parentId,
      PartialTask.IncomingPiece incoming, BooleanSupplier cancelled) {
    if (response.status().equals(StatusCodes.SERVICE_UNAVAILABLE)) {
      response.discardEntityBytes(env.system());
      return CompletableFuture.failedFuture(new ParentBusyException(parentId));
    }
    if (!response.status().equals(StatusCodes.PARTIAL_CONTENT)) {
      response.discardEntityBytes(env.system());
      return CompletableFuture.failedFuture(new DfException(Code.ClientPieceRequestFail,
          "parent " + parentId + " answered " + response.status()));
    }
    return response.entity().getDataBytes()
        .takeWhile(chunk -> !cancelled.getAsBoolean())
        .runForeach(chunk -> chunk.getByteBuffers().forEach(incoming::add), env.system())
        .thenApply(done -> !cancelled.getAsBoolean());
  }
}
