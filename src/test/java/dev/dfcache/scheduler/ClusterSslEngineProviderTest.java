package dev.dfcache.scheduler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dfcache.tls.CertsCommand;
import dev.dfcache.tls.Handshakes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.cert.X509Certificate;
import java.time.Duration;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Artery's TLS between scheduler nodes, handshakes in memory: nodes with certificates of their
 * own (one CA, the scheduler role) admit each other, a shared certificate made without --role
 * too; a daemon's certificate of the same CA is refused both ways; renewed files are read again.
 */
class ClusterSslEngineProviderTest {
  @TempDir
  static Path dir;
  static Path pki;

  @BeforeAll
  static void certificates() {
    pki = dir.resolve("pki");
    assertEquals(0, CertsCommand.run("--role", "scheduler", pki.toString(),
        "scheduler-0,dfcache-scheduler", "scheduler-1", "scheduler-2"));
    assertEquals(0, CertsCommand.run(pki.toString(), "shared"));
    assertEquals(0, CertsCommand.run("--role", "dfdaemon", pki.toString(), "dfdaemon"));
  }

  static ClusterSslEngineProvider node(Path tls) {
    return new ClusterSslEngineProvider(tls, Duration.ofMinutes(5));
  }

  static void handshake(ClusterSslEngineProvider from, ClusterSslEngineProvider to)
      throws SSLException {
    Handshakes.run(from.createClientSSLEngine("127.0.0.1", 17355),
        to.createServerSSLEngine("127.0.0.1", 17355));
  }

  @Test
  void nodesWithTheirOwnSchedulerCertificatesAdmitEachOther() throws Exception {
    handshake(node(pki.resolve("scheduler-0")), node(pki.resolve("scheduler-1")));
    handshake(node(pki.resolve("scheduler-1")), node(pki.resolve("scheduler-0")));
  }

  @Test
  void oneSharedCertificateWithoutRolesKeepsWorking() throws Exception {
    handshake(node(pki.resolve("shared")), node(pki.resolve("shared")));
    handshake(node(pki.resolve("shared")), node(pki.resolve("scheduler-1")));
  }

  @Test
  void aDaemonCertificateOfTheSameCaIsRefusedBothWays() {
    SSLException asClient = assertThrows(SSLException.class,
        () -> handshake(node(pki.resolve("dfdaemon")), node(pki.resolve("scheduler-0"))));
    assertTrue(asClient.getMessage().contains("alert"), asClient.toString());
    SSLException asServer = assertThrows(SSLException.class,
        () -> handshake(node(pki.resolve("scheduler-0")), node(pki.resolve("dfdaemon"))));
    assertTrue(asServer.getMessage().contains("expected the role scheduler"),
        asServer.toString());
  }

  @Test
  void renewedFilesAreReadAgainAfterTheReloadInterval() throws Exception {
    Path live = Files.createDirectories(dir.resolve("live"));
    copy(pki.resolve("scheduler-1"), live);
    ClusterSslEngineProvider renewing = new ClusterSslEngineProvider(live, Duration.ZERO);
    assertEquals("CN=scheduler-1", presented(renewing));
    copy(pki.resolve("scheduler-2"), live);
    assertEquals("CN=scheduler-2", presented(renewing));
    Files.writeString(live.resolve("tls.crt"), "half-written");
    assertEquals("CN=scheduler-2", presented(renewing), "unreadable files: keeps the last good");
  }

  /** The subject of the certificate a node presents to a peer now. */
  static String presented(ClusterSslEngineProvider node) throws Exception {
    SSLEngine server = node(pki.resolve("scheduler-0")).createServerSSLEngine("127.0.0.1", 1);
    Handshakes.run(node.createClientSSLEngine("127.0.0.1", 1), server);
    return ((X509Certificate) server.getSession().getPeerCertificates()[0])
        .getSubjectX500Principal().getName().replaceAll(",.*", "");
  }

  static void copy(Path from, Path to) throws Exception {
    for (String f : new String[] {"ca.crt", "tls.crt", "tls.key"}) {
      Files.copy(from.resolve(f), to.resolve(f), StandardCopyOption.REPLACE_EXISTING);
    }
  }
}
