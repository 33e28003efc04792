package dev.dfcache.tls;

import dev.dfcache.common.HostPort;
import java.util.function.Function;

/**
 * Whom a TLS client dials: the component ("scheduler", "manager", "peer"), the name its
 * certificate must carry for an address dialled (null: the CA alone decides), and the flag that
 * sets that name, for messages.
 *
 * @param serverName the TLS server name for an address; returning the address's own host checks
 *     the certificate against what is dialled
 */
public record TlsTarget(String component, Function<HostPort, String> serverName,
    String nameFlag) {

  /** A server checked against the host it is dialled at (tests, tools). */
  public static final TlsTarget AS_DIALLED = new TlsTarget("server", HostPort::host, null);

  /** Every address checked against one name, set by {@code flag}. */
  public static TlsTarget named(String component, String name, String flag) {
    return new TlsTarget(component, a -> name, flag);
  }

  /** Peers: any certificate of the CA (they are found by the addresses the scheduler hands out). */
  public static TlsTarget anyOfTheCa(String component) {
    return new TlsTarget(component, null, null);
  }

  /** The name a certificate must carry when {@code address} is dialled, or null for none. */
  public String nameFor(HostPort address) {
    return serverName == null ? null : serverName.apply(address);
  }
}
