package dev.dfcache.manager.grpc;

import dev.dfcache.tls.CertificateRoles;
import dev.dfcache.tls.CertificateRoles.Role;
import java.security.cert.Certificate;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import javax.net.ssl.SSLPeerUnverifiedException;
import org.apache.pekko.grpc.javadsl.Metadata;
import org.apache.pekko.http.javadsl.model.AttributeKeys;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;

/**
 * Carries what a component's connection proves to the gRPC methods, which see only the request's
 * metadata: the roles and host names of its client certificate (verified by the TLS handshake
 * against the CA) and the connection's source address. The server stamps each request with
 * these headers after removing any of those names the client sent (the scheduler's
 * PeerIdentityHeader does the same). Needs {@code pekko.http.server.parsing.ssl-session-attribute}
 * and {@code remote-address-attribute} on for the gRPC binding (ManagerNode sets both).
 *
 * <p>Without TLS (a manager with no --tls-dir) nothing is stamped and every caller is {@link
 * Caller#ANY}: a plaintext manager trusts its network, as before.
 */
public final class ComponentIdentity {
  static final String ROLES = "dfcache-verified-roles";
  static final String NAMES = "dfcache-verified-names";
  static final String SOURCE = "dfcache-verified-source";

  private final boolean tls;

  public ComponentIdentity(boolean tls) {
    this.tls = tls;
  }

  /** What a call's connection proved; {@link #ANY} when the manager runs without TLS. */
  public record Caller(boolean checked, Set<Role> roles, List<String> names, String source) {
    public static final Caller ANY = new Caller(false, EnumSet.allOf(Role.class), List.of(), "");
  }

  /** The request without the client's own headers of these names, stamped with verified ones. */
  public HttpRequest stamp(HttpRequest request) {
    HttpRequest clean = request.removeHeader(ROLES).removeHeader(NAMES).removeHeader(SOURCE);
    if (!tls) {
      return clean;
    }
    Certificate[] chain = request.getAttribute(AttributeKeys.sslSession).map(info -> {
      try {
        return info.getSession().getPeerCertificates();
      } catch (SSLPeerUnverifiedException none) {
        return new Certificate[0];
      }
    }).orElse(new Certificate[0]);
    String source = request.getAttribute(AttributeKeys.remoteAddress)
        .flatMap(a -> a.getAddress()).map(java.net.InetAddress::getHostAddress).orElse("");
    return clean
        .addHeader(RawHeader.create(ROLES, String.join(",",
            CertificateRoles.of(chain).stream().map(Role::label).toList())))
        .addHeader(RawHeader.create(NAMES, String.join(",", CertificateRoles.hostNames(chain))))
        .addHeader(RawHeader.create(SOURCE, source));
  }

  /** The caller a stamped request stands for. */
  public Caller of(Metadata metadata) {
    if (!tls) {
      return Caller.ANY;
    }
    Set<Role> roles = EnumSet.noneOf(Role.class);
    for (String r : split(metadata.getText(ROLES).orElse(""))) {
      try {
        roles.add(Role.parse(r));
      } catch (IllegalArgumentException unknown) {
        // not a role this manager knows
      }
    }
    return new Caller(true, roles, split(metadata.getText(NAMES).orElse("")),
        metadata.getText(SOURCE).orElse(""));
  }

  private static List<String> split(String s) {
    return s.isEmpty() ? List.of() : Arrays.stream(s.split(",")).map(String::trim)
        .filter(x -> !x.isEmpty()).toList();
  }
}
