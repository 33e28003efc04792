package dev.dfcache.rpc;

import dev.dfcache.common.HostPort;
import dev.dfcache.tls.RateLimitedLog;
import dev.dfcache.tls.TlsFailures;
import dev.dfcache.tls.TlsTarget;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ForwardingClientCall;
import io.grpc.ForwardingClientCallListener;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place where a failed TLS handshake of an outgoing call becomes words: the call fails
 * UNAVAILABLE as before (callers still try the next node), but its description says who was
 * dialled, what its certificate names and what was expected ({@link TlsFailures}) instead of
 * grpc-java's "Channel Pipeline: [SslHandler#0, ...]". It is logged too (once a minute per
 * text), so the component's log says it even when the caller retries quietly.
 */
final class TlsFailureWords implements ClientInterceptor {
  private static final Logger log = LoggerFactory.getLogger(TlsFailureWords.class);
  private static final RateLimitedLog warnings = new RateLimitedLog(log, 60_000);

  private final TlsTarget target;
  private final HostPort address;

  TlsFailureWords(TlsTarget target, HostPort address) {
    this.target = target;
    this.address = address;
  }

  /** The status in words when it is a TLS failure, else the status itself. */
  Status translate(Status status) {
    if (status.isOk() || status.getCause() == null) {
      return status;
    }
    return TlsFailures.explain(status.getCause(), target, address).map(words -> {
      warnings.warn(words);
      return Status.UNAVAILABLE.withDescription(words).withCause(status.getCause());
    }).orElse(status);
  }

  @Override
  public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method,
      CallOptions options, Channel next) {
    return new ForwardingClientCall.SimpleForwardingClientCall<>(next.newCall(method, options)) {
      @Override
      public void start(Listener<R> listener, Metadata headers) {
        super.start(new ForwardingClientCallListener.SimpleForwardingClientCallListener<>(
            listener) {
          @Override
          public void onClose(Status status, Metadata trailers) {
            super.onClose(translate(status), trailers);
          }
        }, headers);
      }
    };
  }
}
