package dev.dfcache.metrics;

import dev.dfcache.api.common.Code;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.Histogram;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.japi.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.pekko.http.javadsl.model.AttributeKeys;
import org.apache.pekko.http.javadsl.model.HttpEntity;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.ResponseEntity;
import org.apache.pekko.http.javadsl.model.Trailer;
import org.apache.pekko.stream.javadsl.Source;
import scala.jdk.javaapi.CollectionConverters;

/**
 * Wraps a gRPC request handler (pekko-grpc's {@code Function<HttpRequest, ...>}) to count every
 * call by method, gRPC status and Dragonfly error code, and to time it. The status of a call is
 * read where pekko-grpc puts it: in the headers of a trailers-only (error) response, in the
 * trailer attribute of a strict unary response, or in the last chunk of a streamed one.
 */
public final class GrpcCallMetrics {
  private static final Pattern DF_CODE = Pattern.compile("^\\[(\\d{1,9})\\]");
  private static final String[] STATUS_NAMES = {
      "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND",
      "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION",
      "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS",
      "UNAUTHENTICATED"};

  private final Counter calls;
  private final Histogram seconds;
  private final Gauge inFlight;
  private final Set<String> methods;

  /** @param methods the "package.Service/Method" names served; any other path counts as "other" */
  public GrpcCallMetrics(Counter calls, Histogram seconds, Gauge inFlight, Set<String> methods) {
    this.calls = calls;
    this.seconds = seconds;
    this.inFlight = inFlight;
    this.methods = Set.copyOf(methods);
  }

  public static GrpcCallMetrics of(SchedulerMetrics m, Set<String> methods) {
    return new GrpcCallMetrics(m.grpcCalls, m.grpcSeconds, m.grpcInFlight, methods);
  }

  public Function<HttpRequest, CompletionStage<HttpResponse>> instrument(
      Function<HttpRequest, CompletionStage<HttpResponse>> handler) {
    return request -> {
      String method = methodOf(request.getUri().path());
      long start = System.nanoTime();
      inFlight.inc();
      CompletionStage<HttpResponse> response;
      try {
        response = handler.apply(request);
      } catch (Exception e) {
        done(method, start, "INTERNAL", "");
        throw e;
      }
      return response.handle((r, failure) -> {
        if (failure != null) {
          done(method, start, "INTERNAL", "");
          throw failure instanceof CompletionException ce ? ce : new CompletionException(failure);
        }
        return observe(method, start, r);
      });
    };
  }

  String methodOf(String path) {
    String name = path.startsWith("/") ? path.substring(1) : path;
    return methods.contains(name) ? name : "other";
  }

  private HttpResponse observe(String method, long start, HttpResponse response) {
    Optional<String> status = header(response.getHeaders(), "grpc-status");
    if (status.isPresent()) {
      done(method, start, statusName(status.get()),
          dfCode(header(response.getHeaders(), "grpc-message").orElse("")));
      return response;
    }
    Optional<Trailer> trailer = response.getAttribute(AttributeKeys.trailer);
    if (trailer.isPresent() && trailer.get() instanceof org.apache.pekko.http.scaladsl.model.Trailer t) {
      String code = "OK";
      String message = "";
      for (scala.Tuple2<String, String> h : CollectionConverters.asJava(t.headers())) {
        if (h._1().equalsIgnoreCase("grpc-status")) {
          code = statusName(h._2());
        } else if (h._1().equalsIgnoreCase("grpc-message")) {
          message = h._2();
        }
      }
      done(method, start, code, dfCode(message));
      return response;
    }
    ResponseEntity entity = response.entity();
    if (entity instanceof HttpEntity.Chunked chunked) {
      // a streamed response: its status comes in the last chunk, its time is the whole stream
      String[] outcome = {"UNKNOWN", ""};
      Source<org.apache.pekko.http.scaladsl.model.HttpEntity.ChunkStreamPart, Object> chunks =
          chunked.getChunks()
              .map(c -> {
                if (c.isLastChunk()) {
                  outcome[0] = header(c.getTrailerHeaders(), "grpc-status")
                      .map(GrpcCallMetrics::statusName).orElse("OK");
                  outcome[1] = dfCode(header(c.getTrailerHeaders(), "grpc-message").orElse(""));
                }
                return (org.apache.pekko.http.scaladsl.model.HttpEntity.ChunkStreamPart) c;
              })
              .watchTermination((mat, finished) -> {
                finished.whenComplete((d, t) ->
                    done(method, start, t != null ? "CANCELLED" : outcome[0], outcome[1]));
                return mat;
              });
      return response.withEntity(new org.apache.pekko.http.scaladsl.model.HttpEntity.Chunked(
          (org.apache.pekko.http.scaladsl.model.ContentType) entity.getContentType(),
          chunks.asScala()));
    }
    done(method, start, response.status().intValue() == 200 ? "OK"
        : "HTTP_" + response.status().intValue(), "");
    return response;
  }

  private void done(String method, long start, String code, String dfCode) {
    inFlight.dec();
    calls.labelValues(method, code, dfCode).inc();
    seconds.labelValues(method).observe((System.nanoTime() - start) / 1e9);
  }

  private static Optional<String> header(Iterable<HttpHeader> headers, String name) {
    for (HttpHeader h : headers) {
      if (h.is(name)) {
        return Optional.of(h.value());
      }
    }
    return Optional.empty();
  }

  static String statusName(String number) {
    try {
      int n = Integer.parseInt(number.trim());
      return n >= 0 && n < STATUS_NAMES.length ? STATUS_NAMES[n] : "CODE_" + n;
    } catch (NumberFormatException e) {
      return "INVALID";
    }
  }

  /** The Dragonfly code of a "[1404]text" message, by name, or "" when there is none. */
  static String dfCode(String message) {
    Matcher m = DF_CODE.matcher(message);
    if (!m.find()) {
      return "";
    }
    Code code = Code.forNumber(Integer.parseInt(m.group(1)));
    return code == null ? m.group(1) : code.name();
  }
}
