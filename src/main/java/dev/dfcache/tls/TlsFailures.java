package dev.dfcache.tls;

import dev.dfcache.common.HostPort;
import java.util.Optional;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;

/**
 * A failed TLS connection in words: who was dialled, what its certificate names, what was
 * expected, and the flag that changes it. grpc-java reports a failed handshake as UNAVAILABLE
 * with a description like "Channel Pipeline: [SslHandler#0, ...]" (or "ssl exception"); the
 * reason is in its cause chain, where {@link CheckedTrust} put it.
 */
public final class TlsFailures {
  private TlsFailures() {}

  /**
   * @return the explanation, or empty when {@code failure} is not a TLS failure
   */
  public static Optional<String> explain(Throwable failure, TlsTarget target, HostPort dialled) {
    String who = target.component() + " " + dialled;
    CertificateRefused refused = find(failure, CertificateRefused.class);
    if (refused != null) {
      String flag = refused.reason() == CertificateRefused.Reason.WRONG_NAME
          && target.nameFlag() != null ? " (set " + target.nameFlag() + ")" : "";
      return Optional.of("TLS: " + who + " presented " + refused.presented() + ", "
          + refused.problem() + flag);
    }
    SSLException ssl = find(failure, SSLException.class);
    if (ssl == null) {
      return Optional.empty();
    }
    String message = String.valueOf(ssl.getMessage());
    if (message.contains("Received fatal alert")) {
      // the other end refused ours: its log says why (CheckedTrust writes it)
      return Optional.of("TLS: " + who + " refused this component's certificate ("
          + message.substring(message.indexOf("Received fatal alert") + 21).trim()
          + "): its log says why; the certificate in --tls-dir must be signed by the CA that "
          + target.component() + " trusts and carry the role it needs");
    }
    if (message.contains("Unsupported or unrecognized SSL message")
        || message.contains("not an SSL/TLS record")) {
      return Optional.of("TLS: " + who + " does not speak TLS on that port (started without "
          + "--tls-dir?)");
    }
    return Optional.of("TLS: handshake with " + who + " failed"
        + (ssl instanceof SSLHandshakeException ? "" : " (" + ssl.getClass().getSimpleName() + ")")
        + ": " + message);
  }

  private static <T extends Throwable> T find(Throwable t, Class<T> type) {
    Throwable cur = t;
    for (int depth = 0; cur != null && depth < 20; depth++) {
      if (type.isInstance(cur)) {
        return type.cast(cur);
      }
      cur = cur.getCause();
    }
    return null;
  }
}
