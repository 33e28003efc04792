package dev.dfcache.rpc;

import dev.dfcache.common.DfException;
import dev.dfcache.common.GrpcErrors;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.ClassicActorSystemProvider;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.japi.function.Function;

/**
 * Hands a unary gRPC handler each request only once the client has sent all of it (END_STREAM).
 *
 * <p>Why: a request that fails at once (malformed protobuf) was answered while the client's
 * end of the stream was still open, so Pekko HTTP reset the stream (RST_STREAM CANCEL) right
 * after the error, and grpc-java let the reset win over the error in about 3% of calls: the
 * client saw CANCELLED instead of "[1400] malformed request". Waiting for the whole request costs
 * nothing for the usual single-frame unary call and closes that window.
 */
public final class WholeRequests {
  /** Larger requests are refused: no unary request of ours comes near it. */
  static final long MAX_BYTES = 4L * 1024 * 1024;
  static final long TIMEOUT_MS = 10_000;

  private WholeRequests() {}

  /** @param streamingPaths request paths ("/pkg.Service/Method") that stream: passed through */
  public static Function<HttpRequest, CompletionStage<HttpResponse>> of(
      Function<HttpRequest, CompletionStage<HttpResponse>> handler, Set<String> streamingPaths,
      ClassicActorSystemProvider system) {
    return request -> {
      if (request.entity().isKnownEmpty() || request.entity() instanceof
          org.apache.pekko.http.javadsl.model.HttpEntity.Strict
          || streamingPaths.contains(request.getUri().path())) {
        return handler.apply(request);
      }
      return request.entity().toStrict(TIMEOUT_MS, MAX_BYTES, system)
          .thenCompose(strict -> {
            try {
              return handler.apply(request.withEntity(strict));
            } catch (Exception e) {
              return CompletableFuture.failedFuture(e);
            }
          })
          .exceptionally(failure -> refused(failure));
    };
  }

  /** A trailers-only gRPC error in Dragonfly's convention: the request never reached a method. */
  static HttpResponse refused(Throwable failure) {
    Throwable cause = failure.getCause() != null ? failure.getCause() : failure;
    return errorResponse(DfException.badRequest("request not received whole: "
        + cause.getMessage()));
  }

  /** A trailers-only gRPC error in Dragonfly's convention, for a call no method will see. */
  public static HttpResponse errorResponse(DfException e) {
    String message = "[" + e.code().getNumber() + "]" + e.getMessage();
    return HttpResponse.create()
        .withEntity(HttpEntities.create(ContentTypes.parse("application/grpc"), new byte[0]))
        .addHeaders(List.<HttpHeader>of(
            HttpHeader.parse("grpc-status", "2"),
            HttpHeader.parse("grpc-message", percentEncoded(message)),
            HttpHeader.parse(GrpcErrors.DETAILS_KEY, java.util.Base64.getEncoder().withoutPadding()
                .encodeToString(GrpcErrors.detailsOf(e).toByteArray()))));
  }

  /** grpc-message is percent-encoded (gRPC over HTTP/2 spec): keep it printable ASCII. */
  static String percentEncoded(String s) {
    StringBuilder b = new StringBuilder();
    for (byte c : s.getBytes(java.nio.charset.StandardCharsets.UTF_8)) {
      if (c >= 0x20 && c < 0x7f && c != '%') {
        b.append((char) c);
      } else {
        b.append(String.format("%%%02X", c & 0xff));
      }
    }
    return b.toString();
  }
}
