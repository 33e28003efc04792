package dev.dfcache.manager.grpc;

import dev.dfcache.common.DfException;
import dev.dfcache.manager.grpc.ComponentIdentity.Caller;
import dev.dfcache.tls.CertificateRoles;
import dev.dfcache.tls.CertificateRoles.Role;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.regex.Pattern;

/**
 * A component registers only as itself. The manager hands every registered scheduler's address
 * to every daemon of its cluster, so a certificate of the CA alone is not enough: a scheduler
 * registers only with a certificate of the scheduler role, a daemon only with one of the
 * dfdaemon role, and either only at an address its certificate names (an IP address, or a DNS
 * name that resolves to it) or the address its connection comes from (a pod's IP on
 * Kubernetes, where certificates name Services).
 */
final class RegistrationRule implements AutoCloseable {
  private static final Pattern IPV4 = Pattern.compile("^[0-9]{1,3}(\\.[0-9]{1,3}){3}$");

  /** DNS lookups of certificate names block: they run here, never on the database threads. */
  private final ExecutorService lookups = Executors.newFixedThreadPool(2, r -> {
    Thread t = new Thread(r, "manager-dns");
    t.setDaemon(true);
    return t;
  });

  /**
   * Completes when {@code caller} may register as {@code role} at {@code ip} (any address when
   * null: the role alone is checked); fails with PermissionDenied saying what the certificate
   * names, what was asked and how to fix it.
   */
  CompletionStage<Void> check(Caller caller, Role role, String ip, int port) {
    if (!caller.checked()) {
      return CompletableFuture.completedFuture(null);
    }
    String asked = ip == null ? "a " + role.label()
        : role.label() + " at " + (port > 0 ? hostPort(ip, port) : ip);
    if (!caller.roles().contains(role)) {
      return CompletableFuture.failedFuture(DfException.permissionDenied("may not register as "
          + asked + ": the client certificate (names " + describe(caller.names())
          + ") has " + CertificateRoles.describe(caller.roles()) + ", not the " + role.label()
          + " role; make one with: bin/dfcache-certs --role " + role.label() + " DIR NAME,IP"));
    }
    if (ip == null) {
      return CompletableFuture.completedFuture(null);
    }
    Optional<InetAddress> wanted = literal(ip);
    if (wanted.isEmpty()) {
      return refused(caller, role, asked);
    }
    List<String> dnsNames = new ArrayList<>();
    for (String name : caller.names()) {
      Optional<InetAddress> named = literal(name);
      if (named.isPresent() && named.get().equals(wanted.get())) {
        return CompletableFuture.completedFuture(null);
      } else if (named.isEmpty()) {
        dnsNames.add(name);
      }
    }
    if (literal(caller.source()).filter(wanted.get()::equals).isPresent()) {
      return CompletableFuture.completedFuture(null);
    }
    if (dnsNames.isEmpty()) {
      return refused(caller, role, asked);
    }
    return CompletableFuture.supplyAsync(() -> resolvesTo(dnsNames, wanted.get()), lookups)
        .thenCompose(ok -> ok ? CompletableFuture.<Void>completedFuture(null)
            : refused(caller, role, asked));
  }

  private static boolean resolvesTo(List<String> names, InetAddress wanted) {
    for (String name : names) {
      if (name.startsWith("*.")) {
        continue; // a wildcard names no one host
      }
      try {
        for (InetAddress a : InetAddress.getAllByName(name)) {
          if (a.equals(wanted)) {
            return true;
          }
        }
      } catch (UnknownHostException unknown) {
        // a name that does not resolve names no address
      }
    }
    return false;
  }

  private static CompletionStage<Void> refused(Caller caller, Role role, String asked) {
    return CompletableFuture.failedFuture(DfException.permissionDenied("may not register as "
        + asked + ": the client certificate names " + describe(caller.names())
        + " and the connection comes from " + (caller.source().isEmpty() ? "an unknown address"
            : caller.source()) + "; a component registers only at an address its certificate "
        + "names or it connects from; make a certificate that names it: bin/dfcache-certs "
        + "--role " + role.label() + " DIR NAME,IP"));
  }

  /** An IP address written as such, parsed without any DNS lookup; empty for a host name. */
  static Optional<InetAddress> literal(String text) {
    if (text == null || !(IPV4.matcher(text).matches() || text.contains(":"))) {
      return Optional.empty();
    }
    try {
      return Optional.of(InetAddress.getByName(text)); // a literal: parsed, not looked up
    } catch (UnknownHostException notAnAddress) {
      return Optional.empty();
    }
  }

  private static String describe(List<String> names) {
    return names.isEmpty() ? "no host" : String.join(", ", names);
  }

  private static String hostPort(String ip, int port) {
    return (ip.contains(":") ? "[" + ip + "]" : ip) + ":" + port;
  }

  @Override
  public void close() {
    lookups.shutdownNow();
  }
}
