package dev.dfcache.manager;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.dfcache.common.FlagOverlay;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code manager}: starts a manager; flags override {@code dfcache.manager} keys. */
@Command(name = "manager", mixinStandardHelpOptions = true,
    description = {
        "The dfcache manager: keeps the scheduler clusters and their configuration, the "
            + "schedulers and peers (active while their keep-alive lease runs), users and "
            + "tokens, an audit log and metric samples, in a database; pushes configuration "
            + "changes to schedulers and peers (each applies them within one keep-alive).",
        "REST API on --port: POST /api/v1/users/signin, then Authorization: Bearer TOKEN on "
            + "/api/v1/scheduler-clusters, /schedulers, /peers, /clusters/ID/metrics, "
            + "/personal-access-tokens, /audits, /users. Also GET /metrics and /healthy.",
        "Database: an embedded H2 file under --data-dir by default (one machine, nothing "
            + "else needed); --db-url jdbc:postgresql://HOST:5432/DB for production, where "
            + "several managers may share one database.",
        "Schedulers and dfdaemons started with --manager HOST:GRPC_PORT register and follow "
            + "the manager; when it is down they keep their last configuration."})
public final class ManagerCommand implements Callable<Integer> {
  @Option(names = "--host", paramLabel = "IP", description = "address to bind (default 127.0.0.1)")
  String host;

  @Option(names = "--port", paramLabel = "PORT", description = "REST API port (default 8080)")
  Integer port;

  @Option(names = "--grpc-port", paramLabel = "PORT",
      description = "gRPC port for schedulers and peers (default 65003)")
  Integer grpcPort;

  @Option(names = "--data-dir", paramLabel = "DIR",
      description = "where the embedded database lives (default /var/lib/dfcache/manager)")
  Path dataDir;

  @Option(names = "--db-url", paramLabel = "JDBC_URL",
      description = "jdbc:postgresql://HOST:5432/DB (env DFCACHE_MANAGER_DB_URL); default: "
          + "embedded H2 under --data-dir")
  String dbUrl;

  @Option(names = "--db-user", paramLabel = "USER",
      description = "database user (env DFCACHE_MANAGER_DB_USER)")
  String dbUser;

  @Option(names = "--db-password", paramLabel = "PASSWORD",
      description = "database password; prefer env DFCACHE_MANAGER_DB_PASSWORD (flags show in ps)")
  String dbPassword;

  @Option(names = "--admin-password", paramLabel = "PASSWORD",
      description = "the root user's password at first start; prefer env "
          + "DFCACHE_MANAGER_ADMIN_PASSWORD; with neither, one is generated and printed once")
  String adminPassword;

  @Option(names = "--tls-dir", paramLabel = "DIR",
      description = "ca.crt, tls.crt and tls.key (bin/dfcache-certs): the gRPC port admits only "
          + "schedulers and daemons with a certificate of that CA, each registering only as "
          + "itself (scheduler or dfdaemon role, at an address its certificate names or it "
          + "connects from); the REST API and console are served over HTTPS with tls.crt "
          + "(env DFCACHE_TLS_DIR)")
  Path tlsDir;

  @Option(names = "--http-plaintext",
      description = "serve the REST API and console over plain HTTP although --tls-dir is set "
          + "(e.g. behind a TLS-terminating proxy); a warning unless --host is loopback")
  boolean httpPlaintext;

  @Override
  public Integer call() throws Exception {
    ConfigFactory.invalidateCaches();
    Config config = new FlagOverlay("dfcache.manager")
        .putIfSet("host", host)
        .putIfSet("port", port)
        .putIfSet("grpc-port", grpcPort)
        .putIfSet("data-dir", dataDir == null ? null : dataDir.toAbsolutePath().toString())
        .putIfSet("db-url", dbUrl)
        .putIfSet("db-user", dbUser)
        .putIfSet("db-password", dbPassword)
        .putIfSet("admin-password", adminPassword)
        .putIfSet("tls-dir", tlsDir == null ? null : tlsDir.toAbsolutePath().toString())
        .putIfSet("http-plaintext", httpPlaintext ? Boolean.TRUE : null)
        .over(ConfigFactory.load());
    ManagerSettings s = ManagerSettings.fromConfig(config);
    if (!s.dbUrl().isBlank() && !s.dbUrl().startsWith("jdbc:postgresql:")
        && !s.dbUrl().startsWith("jdbc:h2:")) {
      throw new CommandLine.ParameterException(new CommandLine(this),
          "--db-url must be jdbc:postgresql://... or jdbc:h2:...");
    }
    ManagerNode node;
    try {
      node = ManagerNode.start(s, config);
    } catch (RuntimeException e) {
      if (!causedBySql(e)) {
        throw e;
      }
      System.err.println("Error: cannot open the manager's database " + s.describeDb() + ": "
          + rootMessage(e));
      return 1;
    }
    if (node.generatedAdminPassword() != null) {
      System.out.println("manager: created user root with password "
          + node.generatedAdminPassword() + " (shown this once; set "
          + "DFCACHE_MANAGER_ADMIN_PASSWORD to choose it)");
    }
    System.out.println("manager up " + (s.https() ? "https" : "http") + "=" + s.host() + ":"
        + node.httpPort() + " grpc=" + s.host() + ":" + node.grpcPort()
        + (s.tlsDir().isBlank() ? "" : " (mutual TLS)") + " db=" + s.describeDb());
    System.out.flush();
    Runtime.getRuntime().addShutdownHook(new Thread(node::close, "manager-shutdown"));
    return 0;
  }

  /** A failure of the database (unreachable, refused, bad schema) rather than of the manager. */
  static boolean causedBySql(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof java.sql.SQLException
          || t instanceof com.zaxxer.hikari.pool.HikariPool.PoolInitializationException
          || t instanceof org.flywaydb.core.api.FlywayException) {
        return true;
      }
    }
    return false;
  }

  static String rootMessage(Throwable e) {
    String message = e.getMessage();
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t.getMessage() != null && (t instanceof java.sql.SQLException
          || t.getCause() == null)) {
        message = t.getMessage();
        break;
      }
    }
    return message;
  }

  public static void main(String[] args) {
    CommandLine cl = new CommandLine(new ManagerCommand());
    int code = cl.execute(args);
    if (code != 0 || cl.isUsageHelpRequested() || cl.isVersionHelpRequested()) {
      System.exit(code);
    }
  }
}
