package dev.dfcache.scheduler;

import java.util.List;
import javax.net.ssl.SSLPeerUnverifiedException;
import org.apache.pekko.grpc.javadsl.Metadata;
import org.apache.pekko.http.javadsl.model.AttributeKeys;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;

/**
 * Carries the caller's verified identity to the gRPC service methods, which see only the
 * request's metadata: the server stamps each request with a header of the addresses the caller
 * may act for (those its client certificate names, or the connection's source address, by the
 * {@link SchedulerSettings.IdentityRule}), after removing any header of that name the client
 * sent. Needs {@code pekko.http.server.parsing.ssl-session-attribute} and {@code
 * remote-address-attribute} on (scheduler.conf).
 */
final class PeerIdentityHeader {
  static final String NAME = "dfcache-verified-addresses";

  private final SchedulerSettings.IdentityRule rule;

  PeerIdentityHeader(SchedulerSettings.IdentityRule rule) {
    this.rule = rule;
  }

  /** The request without the client's own header of this name, stamped with the verified one. */
  HttpRequest stamp(HttpRequest request) {
    HttpRequest clean = request.removeHeader(NAME);
    List<String> addresses = switch (rule) {
      case ANY -> null;
      case ADDRESS -> request.getAttribute(AttributeKeys.sslSession).map(info -> {
        try {
          return PeerIdentity.addressesOf(info.getSession().getPeerCertificates());
        } catch (SSLPeerUnverifiedException none) {
          return List.<String>of();
        }
      }).orElse(List.of());
      case SOURCE -> request.getAttribute(AttributeKeys.remoteAddress)
          .flatMap(source -> source.getAddress())
          .map(ip -> List.of(ip.getHostAddress())).orElse(List.<String>of());
    };
    return addresses == null ? clean
        : clean.addHeader(RawHeader.create(NAME, String.join(",", addresses)));
  }

  /** The identity a stamped request carries. */
  PeerIdentity of(Metadata metadata) {
    if (rule == SchedulerSettings.IdentityRule.ANY) {
      return PeerIdentity.ANY;
    }
    String stamped = metadata.getText(NAME).orElse("");
    return PeerIdentity.of(stamped.isEmpty() ? List.of() : List.of(stamped.split(",")));
  }
}
