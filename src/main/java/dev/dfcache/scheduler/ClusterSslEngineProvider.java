package dev.dfcache.scheduler;

import com.typesafe.config.Config;
import dev.dfcache.tls.CertificateRoles.Role;
import dev.dfcache.tls.TlsFiles;
import java.nio.file.Path;
import java.time.Duration;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLSession;
import javax.net.ssl.TrustManager;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.remote.artery.tcp.SSLEngineProvider;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.Option;

/**
 * Artery's TLS between scheduler nodes: a node is admitted when its certificate is signed by the
 * CA of {@code ca.crt} and carries the scheduler role ({@code urn:dfcache:role:scheduler},
 * {@code bin/dfcache-certs --role scheduler}), whatever names it has. So every node may hold a
 * certificate of its own (scheduler-0, scheduler-1, ...), and one certificate shared by the fleet
 * keeps working (one made without --role has every role). A daemon's certificate of the same CA
 * is refused in the handshake. Pekko's RotatingKeysSSLEngineProvider admitted only certificates
 * that share a subject name with the node's own, which per-node certificates never do.
 *
 * <p>Like that provider, it reads {@code tls.key}, {@code tls.crt} and {@code ca.crt} again once
 * {@code reload-interval} has passed (cert-manager renews them in place; new connections use the
 * new files), and keeps the files it has when the new ones cannot be read (a renewal caught
 * half-written).
 *
 * <p>Pekko makes it by reflection with the ActorSystem; it reads {@code dfcache.cluster-tls.dir}
 * ({@link ClusterTls#artery}) and {@code dfcache.scheduler.tls-reload-interval} from the
 * system's config.
 */
public final class ClusterSslEngineProvider implements SSLEngineProvider {
  private static final Logger log = LoggerFactory.getLogger(ClusterSslEngineProvider.class);
  private static final String PROTOCOL = "TLSv1.3";

  private final Path dir;
  private final long reloadNanos;
  private volatile Loaded loaded;

  /** A context and when it was read. */
  private record Loaded(SSLContext context, long readAt) {}

  public ClusterSslEngineProvider(ActorSystem system) {
    this(system.settings().config().getConfig("dfcache"));
  }

  private ClusterSslEngineProvider(Config dfcache) {
    this(Path.of(dfcache.getString("cluster-tls.dir")),
        dfcache.getDuration("scheduler.tls-reload-interval"));
  }

  ClusterSslEngineProvider(Path dir, Duration reloadInterval) {
    this.dir = dir;
    this.reloadNanos = reloadInterval.toNanos();
    this.loaded = new Loaded(read(), System.nanoTime());
  }

  /** The context of the files as they are now (fails when they are unusable). */
  private SSLContext read() {
    try {
      TlsFiles.Identity id = TlsFiles.load(dir);
      SSLContext context = SSLContext.getInstance(PROTOCOL);
      context.init(id.keys().getKeyManagers(),
          new TrustManager[] {id.checked(false, Role.SCHEDULER)}, null);
      return context;
    } catch (Exception e) {
      throw new IllegalStateException("cluster TLS from " + dir + ": " + e.getMessage(), e);
    }
  }

  /** The current context, read again when the reload interval has passed. */
  SSLContext context() {
    Loaded current = loaded;
    long now = System.nanoTime();
    if (now - current.readAt() < reloadNanos) {
      return current.context();
    }
    // Several connections at once may each read the files: the last one stays. Harmless.
    try {
      Loaded fresh = new Loaded(read(), now);
      loaded = fresh;
      return fresh.context();
    } catch (RuntimeException e) {
      log.warn("could not read the cluster TLS files again ({}): keeping the ones read before",
          e.getMessage());
      loaded = new Loaded(current.context(), now);
      return current.context();
    }
  }

  @Override
  public SSLEngine createServerSSLEngine(String hostname, int port) {
    SSLEngine engine = context().createSSLEngine(hostname, port);
    engine.setUseClientMode(false);
    engine.setEnabledProtocols(new String[] {PROTOCOL});
    engine.setNeedClientAuth(true);
    return engine;
  }

  @Override
  public SSLEngine createClientSSLEngine(String hostname, int port) {
    SSLEngine engine = context().createSSLEngine(hostname, port);
    engine.setUseClientMode(true);
    engine.setEnabledProtocols(new String[] {PROTOCOL});
    return engine;
  }

  /** The handshake already checked the CA and the role (CheckedTrust): nothing more to check. */
  @Override
  public Option<Throwable> verifyClientSession(String hostname, SSLSession session) {
    return Option.empty();
  }

  @Override
  public Option<Throwable> verifyServerSession(String hostname, SSLSession session) {
    return Option.empty();
  }
}
