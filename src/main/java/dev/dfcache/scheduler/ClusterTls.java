package dev.dfcache.scheduler;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.dfcache.tls.TlsFiles;
import java.nio.file.Path;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Mutual TLS for a scheduler node: between the nodes, Artery's {@code tls-tcp} transport with
 * {@link ClusterSslEngineProvider}, which reads the PEM files of a {@code --tls-dir} (and reads
 * them again every 5 minutes, as cert-manager renews them). A node presents its certificate and
 * accepts only nodes whose certificate the same CA signed with the scheduler role: a node
 * without one cannot join. On the gRPC port, HTTPS (HTTP/2 by ALPN) that accepts only daemons
 * with a certificate of the CA.
 */
final class ClusterTls {
  private static final Logger log = LoggerFactory.getLogger(ClusterTls.class);

  private ClusterTls() {}

  static Config artery(Path dir) {
    return ConfigFactory.parseMap(Map.of(
        "pekko.remote.artery.transport", "tls-tcp",
        "pekko.remote.artery.ssl.ssl-engine-provider", ClusterSslEngineProvider.class.getName(),
        "dfcache.cluster-tls.dir", dir.toAbsolutePath().toString()));
  }

  /**
   * The gRPC port over TLS that needs a client certificate of the CA: daemons present theirs,
   * anyone else is refused in the handshake. Everything on the port needs one, /metrics and
   * /healthz included (probes use the management port; Prometheus scrapes with a certificate).
   */
  static org.apache.pekko.http.javadsl.HttpsConnectionContext grpcServer(Path dir)
      throws Exception {
    javax.net.ssl.SSLContext context = TlsFiles.context(dir);
    return org.apache.pekko.http.javadsl.ConnectionContext.httpsServer(() -> {
      javax.net.ssl.SSLEngine engine = context.createSSLEngine();
      engine.setUseClientMode(false);
      engine.setNeedClientAuth(true);
      return engine;
    });
  }

  /**
   * Fails the start with a clear message when the files are missing or unusable (Artery would
   * only log it on every connection), or warns that the cluster runs in plaintext.
   */
  static void check(SchedulerSettings s) throws Exception {
    if (!s.tls()) {
      log.warn("no --tls-dir: the scheduler nodes and the daemons talk to it in plaintext, and "
          + "any host that reaches the cluster port can join; make certificates with "
          + "bin/dfcache-certs");
      return;
    }
    Path dir = Path.of(s.tlsDir());
    try {
      TlsFiles.context(dir);
      java.util.Set<dev.dfcache.tls.CertificateRoles.Role> roles =
          dev.dfcache.tls.CertificateRoles.of(TlsFiles.chain(dir));
      if (!roles.contains(dev.dfcache.tls.CertificateRoles.Role.SCHEDULER)) {
        // a single node (--standalone with a daemon's certificate) needs no cluster peers
        log.warn("{}/{} has {}, not the scheduler role: other scheduler nodes will refuse this "
                + "one; make it with bin/dfcache-certs --role scheduler (or without --role)", dir,
            TlsFiles.CERT, dev.dfcache.tls.CertificateRoles.describe(roles));
      }
    } catch (Exception e) {
      throw new IllegalArgumentException("--tls-dir " + dir + ": " + e.getMessage(), e);
    }
    log.info("scheduler cluster and gRPC traffic: mutual TLS with the certificates in {} (into "
            + "the cluster only scheduler-role certificates of the CA); {}",
        dir, switch (s.effectivePeerIdentity()) {
          case ADDRESS -> "a daemon acts only for peers at the IP addresses its certificate names";
          case SOURCE -> "a daemon acts only for peers at the address it connects from";
          case ANY -> "peer-identity = any: any daemon certificate may act for any peer";
        });
  }
}
