package dev.dfcache.manager.rest;

import dev.dfcache.api.common.Code;
import dev.dfcache.common.DfException;
import dev.dfcache.manager.fleet.SchedulerFleet;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dfcache.dynconfig.InvalidConfigException;
import dev.dfcache.manager.db.Database;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.HttpChallenge;
import org.apache.pekko.http.javadsl.model.headers.WWWAuthenticate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** JSON responses, and the one place where a failure becomes a status and a message. */
final class Responses {
  private static final Logger log = LoggerFactory.getLogger(Responses.class);

  private Responses() {}

  static HttpResponse json(StatusCode status, JsonNode body) {
    byte[] bytes;
    try {
      bytes = Json.MAPPER.writeValueAsBytes(body);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e); // a tree always serialises
    }
    return HttpResponse.create().withStatus(status)
        .withEntity(HttpEntities.create(ContentTypes.APPLICATION_JSON, bytes));
  }

  static HttpResponse ok(JsonNode body) {
    return json(StatusCodes.OK, body);
  }

  static HttpResponse created(JsonNode body) {
    return json(StatusCodes.CREATED, body);
  }

  static HttpResponse noContent() {
    return HttpResponse.create().withStatus(StatusCodes.NO_CONTENT);
  }

  static HttpResponse message(StatusCode status, String message) {
    ObjectNode body = Json.MAPPER.createObjectNode().put("message", message);
    HttpResponse response = json(status, body);
    if (status.equals(StatusCodes.UNAUTHORIZED)) {
      // RFC 6750: tells a client which scheme to retry with
      response = response.addHeader(
          WWWAuthenticate.create(HttpChallenge.create("Bearer", "dfcache-manager")));
    }
    return response;
  }

  /**
   * Maps any failure of a handler: refusals keep their status and text; a bad configuration is a
   * 400 naming its key; a duplicate that no handler anticipated is a 409; anything else is a 500
   * whose cause is logged here and never shown (it may hold SQL or internals).
   */
  static HttpResponse of(Throwable t) {
    Throwable e = unwrap(t);
    if (e instanceof ApiError a) {
      HttpResponse response = message(a.status(), a.getMessage());
      return a.retryAfterSeconds() <= 0 ? response : response.addHeader(
          org.apache.pekko.http.javadsl.model.headers.RetryAfter.create(a.retryAfterSeconds()));
    }
    if (e instanceof InvalidConfigException) {
      return message(StatusCodes.BAD_REQUEST, e.getMessage());
    }
    if (e instanceof SchedulerFleet.NoSchedulerException) {
      return message(StatusCodes.SERVICE_UNAVAILABLE, e.getMessage());
    }
    if (e instanceof DfException d) {
      // a scheduler's answer, with its code: a bad request is the caller's, the rest the fleet's
      return message(d.code() == Code.BadRequest ? StatusCodes.BAD_REQUEST
          : StatusCodes.BAD_GATEWAY, "scheduler: " + d.getMessage());
    }
    if (e instanceof Database.DatabaseException d && d.uniqueViolation()) {
      return message(StatusCodes.CONFLICT, "already exists");
    }
    log.error("REST request failed", e);
    return message(StatusCodes.INTERNAL_SERVER_ERROR, "internal error (see the manager's log)");
  }

  private static Throwable unwrap(Throwable t) {
    Throwable e = unwrapCompletion(t);
    if (e instanceof io.grpc.StatusRuntimeException) {
      return DfException.of(e);
    }
    return e;
  }

  private static Throwable unwrapCompletion(Throwable t) {
    while ((t instanceof CompletionException || t instanceof ExecutionException)
        && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }
}
