package dev.dfcache.scheduler;

import dev.dfcache.cluster.CborSerializable;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.security.cert.Certificate;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Whom a scheduler call may act for. With mutual TLS and {@code peer-identity = address}, a
 * caller is the IP addresses its certificate names (subject alternative names of type IP): it may
 * announce, register, heartbeat, report and leave only as peers at one of those addresses. Without
 * TLS, or with {@code peer-identity = any} (one certificate shared by every daemon), every caller
 * is trusted for every peer, as in Dragonfly.
 *
 * <p>Travels with the task entity's commands (which may cross scheduler nodes), since only the
 * entity knows at which address a peer id was recorded.
 */
public record PeerIdentity(boolean unrestricted, List<String> addresses)
    implements CborSerializable {

  /** Acts for any peer: plaintext, or a certificate shared by all daemons. */
  public static final PeerIdentity ANY = new PeerIdentity(true, List.of());

  private static final Pattern IP_LITERAL =
      Pattern.compile("^[0-9.]+$|^[0-9a-fA-F:]*:[0-9a-fA-F:.]*$");

  /** A caller restricted to these addresses (none: a certificate without IP names acts for no one). */
  public static PeerIdentity of(List<String> addresses) {
    return new PeerIdentity(false, addresses.stream().map(PeerIdentity::canonical).toList());
  }

  /** The IP addresses a certificate names; an empty list for anything else. */
  public static List<String> addressesOf(Certificate[] chain) {
    return dev.dfcache.tls.CertificateRoles.ipAddresses(chain).stream()
        .map(PeerIdentity::canonical).toList();
  }

  /** Whether this caller may act for the peer advertised at {@code ip}. */
  public boolean mayActFor(String ip) {
    return unrestricted || addresses.contains(canonical(ip));
  }

  /** For error messages: "the certificate of 10.0.0.5". */
  public String describe() {
    if (unrestricted) {
      return "any caller";
    }
    return addresses.isEmpty() ? "a certificate without IP addresses"
        : "the certificate of " + String.join(", ", addresses);
  }

  /**
   * One spelling per address ("::1" and "0:0:0:0:0:0:0:1" are the same peer). Only literals are
   * parsed (no name lookups); anything else is compared as written.
   */
  public static String canonical(String ip) {
    if (!IP_LITERAL.matcher(ip).matches()) {
      return ip;
    }
    try {
      return InetAddress.getByName(ip).getHostAddress();
    } catch (UnknownHostException e) {
      return ip;
    }
  }
}
