package dev.dfcache.rpc;

import com.google.protobuf.Message;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.MethodDescriptor;
import io.grpc.protobuf.ProtoUtils;
import io.grpc.ClientCall;
import io.grpc.Metadata;
import io.grpc.Status;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

/**
 * One unary gRPC method, called with plain grpc-java: no ActorSystem needed (the CLI starts fast)
 * and no connection-attempt limit that would close a client for good while a server restarts.
 */
public final class UnaryMethod<Q extends Message, R extends Message> {
  private final MethodDescriptor<Q, R> descriptor;

  private UnaryMethod(MethodDescriptor<Q, R> descriptor) {
    this.descriptor = descriptor;
  }

  public static <Q extends Message, R extends Message> UnaryMethod<Q, R> of(
      String service, String method, Q requestPrototype, R responsePrototype) {
    return new UnaryMethod<>(descriptor(MethodDescriptor.MethodType.UNARY, service, method,
        requestPrototype, responsePrototype));
  }

  /** A method of a protobuf service, by name and message types. */
  static <Q extends Message, R extends Message> MethodDescriptor<Q, R> descriptor(
      MethodDescriptor.MethodType type, String service, String method, Q requestPrototype,
      R responsePrototype) {
    return MethodDescriptor.<Q, R>newBuilder()
        .setType(type)
        .setFullMethodName(MethodDescriptor.generateFullMethodName(service, method))
        .setRequestMarshaller(ProtoUtils.marshaller(requestPrototype))
        .setResponseMarshaller(ProtoUtils.marshaller(responsePrototype))
        .build();
  }

  /** For servers built with plain grpc-java (the local API on the unix socket). */
  public MethodDescriptor<Q, R> descriptor() {
    return descriptor;
  }

  public String fullName() {
    return descriptor.getFullMethodName();
  }

  /** Blocking call; a deadline of zero or less means none. */
  public R call(Channel channel, Q request, Duration deadline) {
    try {
      return callAsync(channel, request, deadline).toCompletableFuture().get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw Status.CANCELLED.withDescription("interrupted").asRuntimeException();
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException re) {
        throw re;
      }
      throw new CompletionException(e.getCause());
    }
  }

  public CompletionStage<R> callAsync(Channel channel, Q request, Duration deadline) {
    CompletableFuture<R> result = new CompletableFuture<>();
    ClientCall<Q, R> call = channel.newCall(descriptor, options(deadline));
    call.start(new ClientCall.Listener<R>() {
      private R response;

      @Override
      public void onMessage(R message) {
        response = message;
      }

      @Override
      public void onClose(Status status, Metadata trailers) {
        if (!status.isOk()) {
          result.completeExceptionally(status.asRuntimeException(trailers));
        } else if (response == null) {
          result.completeExceptionally(
              Status.INTERNAL.withDescription("no response").asRuntimeException());
        } else {
          result.complete(response);
        }
      }
    }, new Metadata());
    call.request(2);
    call.sendMessage(request);
    call.halfClose();
    return result;
  }

  static CallOptions options(Duration deadline) {
    CallOptions options = CallOptions.DEFAULT;
    if (deadline != null && !deadline.isZero() && !deadline.isNegative()) {
      options = options.withDeadlineAfter(deadline.toNanos(), TimeUnit.NANOSECONDS);
    }
    return options;
  }
}
