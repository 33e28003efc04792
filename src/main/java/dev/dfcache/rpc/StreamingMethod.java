package dev.dfcache.rpc;

import com.google.protobuf.Message;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;

/**
 * One bidirectional- or server-streaming gRPC method, called with plain grpc-java like
 * {@link UnaryMethod}: the caller sends requests when it likes (one, for a server-streaming
 * method) and hears each response, and the end, on a listener.
 */
public final class StreamingMethod<Q extends Message, R extends Message> {
  private final MethodDescriptor<Q, R> descriptor;

  /** What the caller hears. Called on grpc's threads, one at a time per call. */
  public interface Listener<R> {
    void onMessage(R message);

    /** The call ended: {@code status} OK when the server completed it. */
    void onClose(Status status, Metadata trailers);
  }

  /** The caller's end of one call. Thread-safe. */
  public static final class Call<Q> {
    private final ClientCall<Q, ?> call;
    private boolean closed;

    private Call(ClientCall<Q, ?> call) {
      this.call = call;
    }

    /** Sends a request; ignored once the call was half-closed or cancelled. */
    public synchronized void send(Q request) {
      if (!closed) {
        call.sendMessage(request);
      }
    }

    /** No more requests; responses may still come. */
    public synchronized void halfClose() {
      if (!closed) {
        closed = true;
        call.halfClose();
      }
    }

    /** Ends the call at once (the listener hears CANCELLED). */
    public synchronized void cancel(String why) {
      closed = true;
      call.cancel(why, null);
    }
  }

  private StreamingMethod(MethodDescriptor<Q, R> descriptor) {
    this.descriptor = descriptor;
  }

  public static <Q extends Message, R extends Message> StreamingMethod<Q, R> of(
      String service, String method, Q requestPrototype, R responsePrototype) {
    return new StreamingMethod<>(UnaryMethod.descriptor(MethodDescriptor.MethodType.BIDI_STREAMING,
        service, method, requestPrototype, responsePrototype));
  }

  /** One request, a stream of responses. */
  public static <Q extends Message, R extends Message> StreamingMethod<Q, R> serverStreaming(
      String service, String method, Q requestPrototype, R responsePrototype) {
    return new StreamingMethod<>(UnaryMethod.descriptor(
        MethodDescriptor.MethodType.SERVER_STREAMING, service, method, requestPrototype,
        responsePrototype));
  }

  /** For servers built with plain grpc-java (the local API on the unix socket). */
  public MethodDescriptor<Q, R> descriptor() {
    return descriptor;
  }

  public String fullName() {
    return descriptor.getFullMethodName();
  }

  /** Starts a call; responses are asked for one at a time, as the listener takes them. */
  public Call<Q> open(Channel channel, Listener<R> listener) {
    return open(channel, CallOptions.DEFAULT, listener);
  }

  /** {@link #open(Channel, Listener)} with a deadline; zero or less means none. */
  public Call<Q> open(Channel channel, java.time.Duration deadline, Listener<R> listener) {
    return open(channel, UnaryMethod.options(deadline), listener);
  }

  private Call<Q> open(Channel channel, CallOptions options, Listener<R> listener) {
    ClientCall<Q, R> call = channel.newCall(descriptor, options);
    call.start(new ClientCall.Listener<R>() {
      @Override
      public void onMessage(R message) {
        try {
          listener.onMessage(message);
        } finally {
          call.request(1);
        }
      }

      @Override
      public void onClose(Status status, Metadata trailers) {
        listener.onClose(status, trailers);
      }
    }, new Metadata());
    call.request(1);
    return new Call<>(call);
  }
}
