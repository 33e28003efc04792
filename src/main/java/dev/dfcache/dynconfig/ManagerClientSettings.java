package dev.dfcache.dynconfig;

import com.typesafe.config.Config;
import dev.dfcache.common.HostPort;
import java.time.Duration;

/**
 * A component's manager settings, from its own config section: the manager (null = none), the
 * scheduler cluster to join by name ("" = by scopes, else the default), how often to keep alive
 * and to register again.
 */
public record ManagerClientSettings(HostPort manager, String schedulerCluster,
    Duration keepAliveInterval, Duration refreshInterval) {

  /** @param section e.g. the {@code dfcache.daemon} config */
  public static ManagerClientSettings fromConfig(Config section) {
    String m = section.getString("manager").trim();
    return new ManagerClientSettings(m.isEmpty() ? null : HostPort.parse(m),
        section.getString("scheduler-cluster"),
        section.getDuration("manager-keep-alive-interval"),
        section.getDuration("manager-refresh-interval"));
  }

  public boolean enabled() {
    return manager != null;
  }
}
