package dev.dfcache.common;

import com.google.protobuf.Any;
import dev.dfcache.api.common.Code;
import dev.dfcache.api.common.GrpcDfError;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.pekko.grpc.GrpcServiceException;
import org.apache.pekko.grpc.javadsl.MetadataBuilder;
import org.apache.pekko.util.ByteString;

/** Dragonfly's error convention on the wire: status UNKNOWN, "[code]text", GrpcDfError detail. */
public final class GrpcErrors {
  private static final Pattern CODED = Pattern.compile("^\\[(\\d+)\\](.*)$", Pattern.DOTALL);
  public static final String DETAILS_KEY = "grpc-status-details-bin";

  private GrpcErrors() {}

  public static GrpcServiceException toGrpc(DfException e) {
    String description = "[" + e.code().getNumber() + "]" + e.getMessage();
    com.google.rpc.Status details = detailsOf(e);
    return new GrpcServiceException(
        Status.UNKNOWN.withDescription(description),
        new MetadataBuilder()
            .addBinary(DETAILS_KEY, ByteString.fromArrayUnsafe(details.toByteArray()))
            .build());
  }

  /**
   * The same convention for a plain grpc-java server (the local API on the unix socket): status
   * UNKNOWN, "[code]text", GrpcDfError detail in the trailers.
   */
  public static StatusRuntimeException toStatusException(DfException e) {
    io.grpc.Metadata trailers = new io.grpc.Metadata();
    trailers.put(io.grpc.Metadata.Key.of(DETAILS_KEY, io.grpc.Metadata.BINARY_BYTE_MARSHALLER),
        detailsOf(e).toByteArray());
    return Status.UNKNOWN.withDescription("[" + e.code().getNumber() + "]" + e.getMessage())
        .asRuntimeException(trailers);
  }

  /** The google.rpc.Status carried in grpc-status-details-bin. */
  public static com.google.rpc.Status detailsOf(DfException e) {
    String description = "[" + e.code().getNumber() + "]" + e.getMessage();
    return com.google.rpc.Status.newBuilder()
        .setCode(Status.Code.UNKNOWN.value())
        .setMessage(description)
        .addDetails(Any.pack(
            GrpcDfError.newBuilder().setCode(e.code()).setMessage(e.getMessage()).build()))
        .build();
  }

  /** Reads a coded error back from a failed call, or null when it is not a gRPC failure. */
  public static DfException fromStatusException(Throwable t) {
    if (!(t instanceof StatusRuntimeException sre)) {
      return null;
    }
    Status status = sre.getStatus();
    String description = status.getDescription() == null ? "" : status.getDescription();
    Matcher m = CODED.matcher(description);
    if (status.getCode() == Status.Code.UNKNOWN && m.matches()) {
      Code code = Code.forNumber(Integer.parseInt(m.group(1)));
      return new DfException(code == null ? Code.UnknownError : code, m.group(2));
    }
    Code code =
        switch (status.getCode()) {
          case UNAVAILABLE -> Code.ServerUnavailable;
          case DEADLINE_EXCEEDED -> Code.RequestTimeOut;
          case INVALID_ARGUMENT -> Code.BadRequest;
          case NOT_FOUND -> Code.PeerTaskNotFound;
          default -> Code.UnknownError;
        };
    String text = status.getCode() + (description.isEmpty() ? "" : ": " + description);
    return new DfException(code, text);
  }

  /**
   * Runs a service call and turns any failure, thrown or in the returned stage, into the wire
   * error convention, so that every method of every service answers errors the same way.
   */
  public static <T> CompletionStage<T> guard(Supplier<CompletionStage<T>> call) {
    CompletionStage<T> stage;
    try {
      stage = call.get();
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(toGrpc(DfException.of(e)));
    }
    CompletableFuture<T> out = new CompletableFuture<>();
    stage.whenComplete((value, failure) -> {
      if (failure == null) {
        out.complete(value);
      } else {
        out.completeExceptionally(toGrpc(DfException.of(failure)));
      }
    });
    return out;
  }

  /**
   * The error handler for pekko-grpc services: failures that never reached a service method (a
   * request that is not valid protobuf) get the same convention as the others, BadRequest.
   */
  public static org.apache.pekko.japi.Function<org.apache.pekko.actor.ActorSystem,
      org.apache.pekko.japi.Function<Throwable, org.apache.pekko.grpc.Trailers>> handler() {
    return system -> failure -> {
      if (failure instanceof GrpcServiceException gse) {
        return new org.apache.pekko.grpc.Trailers(gse.getStatus(), gse.getMetadata());
      }
      DfException df = malformed(failure)
          ? DfException.badRequest("malformed request: " + failure.getMessage())
          : DfException.of(failure);
      GrpcServiceException e = toGrpc(df);
      return new org.apache.pekko.grpc.Trailers(e.getStatus(), e.getMetadata());
    };
  }

  private static boolean malformed(Throwable t) {
    for (Throwable cur = t; cur != null; cur = cur.getCause()) {
      if (cur instanceof com.google.protobuf.InvalidProtocolBufferException) {
        return true;
      }
    }
    return false;
  }
}
