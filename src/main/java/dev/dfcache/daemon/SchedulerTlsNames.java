package dev.dfcache.daemon;

import dev.dfcache.common.HostPort;
import java.util.List;
import java.util.function.Function;

/**
 * The name a scheduler's certificate must carry, whatever address the daemon dials it at. The
 * manager hands out addresses (pod IPs on Kubernetes) that no Service-named certificate names:
 * what the daemon trusts is the name it was configured with, not the address it was told.
 *
 * <ul>
 *   <li>{@code scheduler-tls-name} set: every scheduler is checked against it;
 *   <li>else a scheduler of the {@code schedulers} list against the name it is given as there
 *       (per-host certificates dialled by their own names keep working);
 *   <li>else (an address from the manager) against the host of the first {@code schedulers}
 *       entry when that is a name (the Service), or against the address itself when the list
 *       gives addresses (per-host certificates that name their IP).
 * </ul>
 */
public final class SchedulerTlsNames implements Function<HostPort, String> {
  private final String configured;
  private final List<HostPort> given;

  /**
   * @param configured {@code dfcache.daemon.scheduler-tls-name} ("" = not set)
   * @param given the {@code schedulers} list as configured, before the manager replaces it
   */
  public SchedulerTlsNames(String configured, List<HostPort> given) {
    this.configured = configured.trim();
    this.given = List.copyOf(given);
  }

  @Override
  public String apply(HostPort dialled) {
    if (!configured.isEmpty()) {
      return configured;
    }
    if (given.contains(dialled) || given.isEmpty()) {
      return dialled.host();
    }
    String first = given.get(0).host();
    return isAddress(first) ? dialled.host() : first;
  }

  /** What is checked, for the start-up log line. */
  public String describe() {
    if (!configured.isEmpty()) {
      return "the name '" + configured + "'";
    }
    if (given.isEmpty() || isAddress(given.get(0).host())) {
      return "the address each is dialled at";
    }
    return "the names in --schedulers ('" + given.get(0).host() + "' for addresses from the "
        + "manager)";
  }

  /** An IPv4 or IPv6 literal (no lookup). */
  static boolean isAddress(String host) {
    return host.matches("[0-9.]+") || host.contains(":");
  }
}
