package dev.dfcache.tls;

import java.security.cert.Certificate;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * What a certificate of the dfcache CA may act as. A CA-signed certificate alone says only "one
 * of ours"; the role says which component: a subject alternative name of type URI {@code
 * urn:dfcache:role:<role>} per role ({@link #uri}). {@code bin/dfcache-certs --role} writes them;
 * cert-manager writes them from a Certificate's {@code uris:} list.
 *
 * <p>Where a role matters: the manager registers a scheduler only for a certificate with the
 * scheduler role (and a daemon only with the dfdaemon role), scheduler nodes admit into their
 * cluster only certificates with the scheduler role, and a scheduler lets only dfdaemon
 * certificates act for peers. A certificate without any role mark has no role.
 */
public final class CertificateRoles {
  /** The components a certificate may be made for. */
  public enum Role {
    SCHEDULER, DFDAEMON, MANAGER;

    /** The spelling on the command line and in the URI: "scheduler", "dfdaemon", "manager". */
    public String label() {
      return name().toLowerCase(Locale.ROOT);
    }

    public static Role parse(String text) {
      for (Role r : values()) {
        if (r.label().equals(text.trim().toLowerCase(Locale.ROOT))) {
          return r;
        }
      }
      throw new IllegalArgumentException("unknown role '" + text
          + "' (one of: scheduler, dfdaemon, manager)");
    }
  }

  static final String PREFIX = "urn:dfcache:role:";
  private static final int SAN_URI = 6;
  private static final int SAN_DNS = 2;
  private static final int SAN_IP = 7;

  private CertificateRoles() {}

  /** The subject alternative name that marks a certificate for {@code role}. */
  public static String uri(Role role) {
    return PREFIX + role.label();
  }

  /** The roles the leaf certificate of {@code chain} is marked for (empty: none, or no chain). */
  public static Set<Role> of(Certificate[] chain) {
    Set<Role> roles = EnumSet.noneOf(Role.class);
    for (String uri : names(chain, SAN_URI)) {
      if (uri.startsWith(PREFIX)) {
        try {
          roles.add(Role.parse(uri.substring(PREFIX.length())));
        } catch (IllegalArgumentException unknown) {
          // a role of a later version: not one this component knows
        }
      }
    }
    return roles;
  }

  public static boolean has(Certificate[] chain, Role role) {
    return of(chain).contains(role);
  }

  /** The DNS names and IP addresses the leaf certificate names, as written in it. */
  public static List<String> hostNames(Certificate[] chain) {
    List<String> all = new ArrayList<>(names(chain, SAN_DNS));
    all.addAll(names(chain, SAN_IP));
    return all;
  }

  /** The IP addresses the leaf certificate names, as written in it. */
  public static List<String> ipAddresses(Certificate[] chain) {
    return names(chain, SAN_IP);
  }

  /** For messages: "scheduler, dfdaemon" or "no role". */
  public static String describe(Set<Role> roles) {
    return roles.isEmpty() ? "no role"
        : String.join(", ", roles.stream().map(Role::label).toList());
  }

  private static List<String> names(Certificate[] chain, int type) {
    if (chain == null || chain.length == 0 || !(chain[0] instanceof X509Certificate leaf)) {
      return List.of();
    }
    try {
      Collection<List<?>> names = leaf.getSubjectAlternativeNames();
      if (names == null) {
        return List.of();
      }
      List<String> out = new ArrayList<>();
      for (List<?> name : names) {
        if (name.size() >= 2 && Integer.valueOf(type).equals(name.get(0))) {
          out.add(String.valueOf(name.get(1)));
        }
      }
      return out;
    } catch (CertificateParsingException e) {
      return List.of();
    }
  }
}
