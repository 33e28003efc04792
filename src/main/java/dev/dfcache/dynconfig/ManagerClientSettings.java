package dev.dfcache.dynconfig;

import com.typesafe.config.Config;
import dev.dfcache.common.HostPort;
import java.time.Duration;

/**
 * A component's manager settings, from its own config section: the manager (null = none), the
 * scheduler cluster to join by name ("" = by scopes, else the default), how often to keep alive
 * and to register again, and the name the manager's TLS certificate must carry ({@code
 * manager-tls-name}; "" = the host of {@code manager}), whatever address that name resolves to.
 */
public record ManagerClientSettings(HostPort manager, String schedulerCluster,
    Duration keepAliveInterval, Duration refreshInterval, String tlsName) {

  /** @param section e.g. the {@code dfcache.daemon} config */
  public static ManagerClientSettings fromConfig(Config section) {
    String m = section.getString("manager").trim();
    HostPort manager = m.isEmpty() ? null : HostPort.parse(m);
    String tlsName = section.hasPath("manager-tls-name")
        ? section.getString("manager-tls-name").trim() : "";
    return new ManagerClientSettings(manager, section.getString("scheduler-cluster"),
        section.getDuration("manager-keep-alive-interval"),
        section.getDuration("manager-refresh-interval"),
        tlsName.isEmpty() && manager != null ? manager.host() : tlsName);
  }

  /**
   * Channels to the manager: plaintext without a TLS directory, else mutual TLS that checks the
   * manager's certificate for {@link #tlsName}.
   */
  public dev.dfcache.rpc.Channels channels(String tlsDir) throws Exception {
    if (tlsDir == null || tlsDir.isBlank()) {
      return new dev.dfcache.rpc.Channels();
    }
    return new dev.dfcache.rpc.Channels(
        dev.dfcache.tls.TlsFiles.grpcClient(java.nio.file.Path.of(tlsDir)),
        dev.dfcache.tls.TlsTarget.named("manager", tlsName, "--manager-tls-name"));
  }

  public boolean enabled() {
    return manager != null;
  }
}
