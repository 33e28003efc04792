package dev.dfcache.manager;

import com.typesafe.config.Config;
import dev.dfcache.manager.db.Database;
import java.nio.file.Path;
import java.time.Duration;

/** The manager's settings, from {@code dfcache.manager} (flags overlay them). */
public record ManagerSettings(String host, int port, int grpcPort, Path dataDir, String dbUrl,
    String dbUser, String dbPassword, int dbPoolSize, String adminPassword, Duration lease,
    Duration sessionTtl, Duration metricsSampleInterval, Duration metricsRetention,
    String tlsDir, boolean httpPlaintext) {

  public static ManagerSettings fromConfig(Config root) {
    Config c = root.getConfig("dfcache.manager");
    return new ManagerSettings(c.getString("host"), c.getInt("port"), c.getInt("grpc-port"),
        Path.of(c.getString("data-dir")), c.getString("db-url"), c.getString("db-user"),
        c.getString("db-password"), c.getInt("db-pool-size"), c.getString("admin-password"),
        c.getDuration("lease"), c.getDuration("session-ttl"),
        c.getDuration("metrics-sample-interval"), c.getDuration("metrics-retention"),
        c.getString("tls-dir"), c.getBoolean("http-plaintext"));
  }

  /** Whether the REST API and console are served over HTTPS (a certificate, and not declined). */
  public boolean https() {
    return !tlsDir.isBlank() && !httpPlaintext;
  }

  /** The JDBC url in use: the configured one, or the embedded H2 file under the data dir. */
  public String effectiveDbUrl() {
    return dbUrl.isBlank() ? Database.embeddedUrl(dataDir) : dbUrl;
  }

  /** The url without credentials a user may have put in it, for logs and output. */
  public String describeDb() {
    String url = effectiveDbUrl();
    int q = url.indexOf('?');
    return q < 0 ? url : url.substring(0, q);
  }
}
