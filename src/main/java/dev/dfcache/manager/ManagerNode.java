package dev.dfcache.manager;

import com.typesafe.config.Config;
import dev.dfcache.api.manager.ManagerPowerApiHandlerFactory;
import dev.dfcache.manager.db.ClusterRepository;
import dev.dfcache.manager.db.ComponentRepository;
import dev.dfcache.manager.db.Database;
import dev.dfcache.manager.db.JobRepository;
import dev.dfcache.manager.fleet.SchedulerFleet;
import dev.dfcache.manager.jobs.JobRunner;
import dev.dfcache.manager.db.MetricRepository;
import dev.dfcache.manager.db.Passwords;
import dev.dfcache.manager.db.UserRepository;
import dev.dfcache.manager.console.ConsoleFiles;
import dev.dfcache.manager.grpc.ComponentIdentity;
import dev.dfcache.manager.grpc.ComponentService;
import dev.dfcache.manager.rest.RestApi;
import dev.dfcache.metrics.MetricsEndpoint;
import dev.dfcache.rpc.WholeRequests;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.japi.function.Function;
import org.apache.pekko.stream.Materializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running manager: the database (migrated at start), the gRPC API for components, and the
 * HTTP server with the REST API, /metrics, /healthy and the web console at /. It keeps no state of its own beyond a
 * metrics pacing table: several managers may serve one PostgreSQL database.
 */
public final class ManagerNode implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ManagerNode.class);
  /** A job unfinished this long was left by a manager that stopped (a job takes seconds). */
  private static final Duration STALE_JOB = Duration.ofMinutes(5);

  private final ActorSystem<Void> system;
  private final Database db;
  private final ServerBinding http;
  private final ServerBinding grpc;
  /** The admin password when this start generated it (to print once), else null. */
  private final String generatedAdminPassword;

  private ManagerNode(ActorSystem<Void> system, Database db, ServerBinding http,
      ServerBinding grpc, String generatedAdminPassword) {
    this.system = system;
    this.db = db;
    this.http = http;
    this.grpc = grpc;
    this.generatedAdminPassword = generatedAdminPassword;
  }

  public static ManagerNode start(ManagerSettings s, Config config) throws Exception {
    if (s.dbUrl().isBlank()) {
      Files.createDirectories(s.dataDir());
    }
    Database db = Database.open(s.effectiveDbUrl(), s.dbUser(), s.dbPassword(), s.dbPoolSize());
    String generated = null;
    try {
      String password = s.adminPassword().isEmpty() ? Passwords.newPassword() : s.adminPassword();
      boolean created = db.now(c -> {
        ClusterRepository.ensureDefault(c);
        return UserRepository.ensureAdmin(c, password.toCharArray());
      });
      if (created && s.adminPassword().isEmpty()) {
        generated = password;
      }
    } catch (RuntimeException e) {
      db.close();
      throw e;
    }
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "manager", config);
    try {
      Materializer mat = Materializer.createMaterializer(system);
      PrometheusRegistry registry = MetricsEndpoint.newRegistry();
      Gauge componentGauge = Gauge.builder().name("dfcache_manager_components")
          .help("schedulers and peers the manager knows, by kind and state (from their leases)")
          .labelNames("kind", "state").register(registry);
      // the console's task views and delete jobs call the schedulers, over mutual TLS when the
      // manager has a certificate of the cluster's CA
      SchedulerFleet fleet = new SchedulerFleet(db, s.tlsDir().isBlank() ? null
          : dev.dfcache.tls.PeerTls.load(java.nio.file.Path.of(s.tlsDir())).grpcClient());
      system.getWhenTerminated().thenRun(fleet::close);
      RestApi rest = new RestApi(db, s.sessionTtl(), fleet, new JobRunner(db, fleet), mat);
      ConsoleFiles console = ConsoleFiles.load();
      Function<HttpRequest, CompletionStage<HttpResponse>> httpHandler = request -> {
        String path = request.getUri().path();
        if (path.equals("/metrics")) {
          // read on the query threads at each scrape: every manager on one database agrees
          return db.query(c -> countComponents(c, componentGauge))
              .handle((ok, t) -> MetricsEndpoint.response(registry));
        }
        if (path.equals("/healthy")) {
          return db.query(c -> c.isValid(2)).handle((ok, t) -> t == null && ok
              ? HttpResponse.create().withEntity(HttpEntities.create(
                  ContentTypes.TEXT_PLAIN_UTF8, "ok\n"))
              : HttpResponse.create().withStatus(503).withEntity(HttpEntities.create(
                  ContentTypes.TEXT_PLAIN_UTF8, "database unreachable\n")));
        }
        if (ConsoleFiles.owns(path)) {
          // the web console's static files: the page then calls /api/v1 like any client
          return java.util.concurrent.CompletableFuture.completedFuture(
              console.respond(request));
        }
        return rest.handle(request);
      };
      // HTTP/1.1 only: browsers and curl speak it, and an h2c upgrade offered by a client
      // (java.net.http does) must not be half taken; the source address feeds the sign-in
      // throttle
      org.apache.pekko.http.javadsl.ServerBuilder restServer = Http.get(system)
          .newServerAt(s.host(), s.port())
          .withSettings(org.apache.pekko.http.javadsl.settings.ServerSettings.create(
              com.typesafe.config.ConfigFactory.parseString(
                  "pekko.http.server.preview.enable-http2 = off\n"
                  + "pekko.http.server.remote-address-attribute = on").withFallback(config)));
      if (s.https()) {
        restServer = restServer.enableHttps(ManagerHttps.restServer(Path.of(s.tlsDir())));
      }
      warnIfExposed(s);
      ServerBinding http = restServer.bind(httpHandler)
          .toCompletableFuture().get(30, TimeUnit.SECONDS);
      system.getWhenTerminated().thenRun(rest::close);
      boolean tls = !s.tlsDir().isBlank();
      ComponentIdentity identities = new ComponentIdentity(tls);
      ComponentService components = new ComponentService(db, s.lease(),
          s.metricsSampleInterval(), identities);
      system.getWhenTerminated().thenRun(components::close);
      // the verified certificate and source address reach the methods as stamped headers
      org.apache.pekko.http.javadsl.ServerBuilder grpcServer =
          Http.get(system).newServerAt(s.host(), s.grpcPort())
              .withSettings(org.apache.pekko.http.javadsl.settings.ServerSettings.create(
                  com.typesafe.config.ConfigFactory.parseString(
                      "pekko.http.server.parsing.ssl-session-attribute = on\n"
                      + "pekko.http.server.remote-address-attribute = on")
                      .withFallback(config)));
      if (tls) {
        // mutual TLS: only components with a certificate of the CA register or keep alive
        grpcServer = grpcServer.enableHttps(
            dev.dfcache.tls.PeerTls.load(Path.of(s.tlsDir())).grpcServer());
      }
      Function<HttpRequest, CompletionStage<HttpResponse>> grpcHandler = WholeRequests.of(
          ManagerPowerApiHandlerFactory.create(components, system), java.util.Set.of(), system);
      ServerBinding grpc = grpcServer
          .bind((Function<HttpRequest, CompletionStage<HttpResponse>>)
              request -> grpcHandler.apply(identities.stamp(request)))
          .toCompletableFuture().get(30, TimeUnit.SECONDS);
      system.scheduler().scheduleWithFixedDelay(Duration.ofMinutes(1), Duration.ofMinutes(10),
          () -> housekeeping(db, s), system.executionContext());
      return new ManagerNode(system, db, http, grpc, generated);
    } catch (Exception | Error e) {
      system.terminate();
      db.close();
      throw e;
    }
  }

  /**
   * A manager reachable from other hosts without TLS shows passwords and tokens to the network:
   * said once at start, unless it listens on loopback only.
   */
  private static void warnIfExposed(ManagerSettings s) {
    if (loopback(s.host())) {
      return;
    }
    if (s.tlsDir().isBlank()) {
      log.warn("the REST API and console on {}:{} and the gRPC API on {}:{} are plain HTTP "
          + "without a certificate: passwords and tokens cross the network in the clear, and "
          + "any host may register components; give the manager --tls-dir (bin/dfcache-certs "
          + "--role manager DIR NAME) or bind --host 127.0.0.1", s.host(), s.port(), s.host(),
          s.grpcPort());
    } else if (s.httpPlaintext()) {
      log.warn("the REST API and console on {}:{} are plain HTTP (--http-plaintext / "
          + "dfcache.manager.http-plaintext): passwords and tokens cross the network in the "
          + "clear unless a TLS proxy sits in front", s.host(), s.port());
    }
  }

  private static boolean loopback(String host) {
    try {
      return java.net.InetAddress.getByName(host).isLoopbackAddress();
    } catch (java.net.UnknownHostException e) {
      return false;
    }
  }

  /** Expired sessions and tokens, and metrics older than the retention, go. */
  private static void housekeeping(Database db, ManagerSettings s) {
    long now = System.currentTimeMillis();
    db.query(c -> UserRepository.dropExpiredTokens(c, now)
            + MetricRepository.prune(c, now - s.metricsRetention().toMillis())
            + JobRepository.failStale(c, now - STALE_JOB.toMillis()))
        .whenComplete((n, t) -> {
          if (t != null) {
            log.warn("housekeeping failed: {}", t.getMessage());
          }
        });
  }

  /** Sets the gauge of components by kind and state (active while their lease runs). */
  private static Void countComponents(java.sql.Connection c, Gauge gauge)
      throws java.sql.SQLException {
    long now = System.currentTimeMillis();
    for (String kind : java.util.List.of("scheduler", "peer")) {
      var rows = kind.equals("scheduler") ? ComponentRepository.schedulers(c, 0)
          : ComponentRepository.peers(c, 0);
      long active = rows.stream().filter(r -> r.active(now)).count();
      gauge.labelValues(kind, "active").set(active);
      gauge.labelValues(kind, "inactive").set(rows.size() - active);
    }
    return null;
  }

  public int httpPort() {
    return http.localAddress().getPort();
  }

  public int grpcPort() {
    return grpc.localAddress().getPort();
  }

  public String generatedAdminPassword() {
    return generatedAdminPassword;
  }

  @Override
  public void close() {
    system.terminate();
    db.close();
  }
}
