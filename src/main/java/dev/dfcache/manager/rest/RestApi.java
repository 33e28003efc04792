package dev.dfcache.manager.rest;

import dev.dfcache.manager.db.Database;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.stream.Materializer;

/** Placeholder until the REST layer lands (replaced by the real one). */
public final class RestApi {
  public RestApi(Database db, Duration sessionTtl, Materializer mat) {}

  public CompletionStage<HttpResponse> handle(HttpRequest request) {
    return CompletableFuture.completedFuture(HttpResponse.create().withStatus(StatusCodes.NOT_FOUND));
  }
}
