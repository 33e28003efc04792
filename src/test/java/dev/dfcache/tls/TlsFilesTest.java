package dev.dfcache.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.X509Certificate;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Certificates made by the certs command, used for real TLS handshakes on 127.0.0.1: a server
 * that needs a client certificate accepts a host of its own CA only.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TlsFilesTest {
  Path tmp;
  Path ours;
  Path theirs;

  @BeforeAll
  void makeCertificates() throws IOException {
    tmp = Files.createTempDirectory("dfcache-tls");
    ours = tmp.resolve("ours");
    theirs = tmp.resolve("theirs");
    assertEquals(0, CertsCommand.run(ours.toString(), "scheduler-0", "127.0.0.1"));
    assertEquals(0, CertsCommand.run(ours.toString(), "10.0.0.7")); // a later host, same CA
    assertEquals(0, CertsCommand.run(theirs.toString(), "127.0.0.1"));
  }

  @org.junit.jupiter.api.AfterAll
  void removeCertificates() throws IOException {
    try (var walk = Files.walk(tmp)) {
      walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  @Test
  void theFilesAreASecretsLayoutAndTheKeysArePrivate() throws Exception {
    for (String host : new String[] {"scheduler-0", "127.0.0.1", "10.0.0.7"}) {
      Path dir = ours.resolve(host);
      for (String f : new String[] {TlsFiles.CA, TlsFiles.CERT, TlsFiles.KEY}) {
        assertTrue(Files.isRegularFile(dir.resolve(f)), dir.resolve(f).toString());
      }
      assertEquals("rw-------", PosixFilePermissions.toString(
          Files.getPosixFilePermissions(dir.resolve(TlsFiles.KEY))));
      X509Certificate cert = (X509Certificate) TlsFiles.certificates(dir.resolve(TlsFiles.CERT))
          .get(0);
      assertEquals("CN=" + host, cert.getSubjectX500Principal().getName());
      assertTrue(cert.getSubjectAlternativeNames().stream()
          .anyMatch(san -> san.get(1).equals(host)), "SAN " + cert.getSubjectAlternativeNames());
      assertTrue(cert.getExtendedKeyUsage().containsAll(
          java.util.List.of("1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2")), "server and client");
      assertEquals(TlsFiles.certificates(ours.resolve(TlsFiles.CA)).get(0),
          TlsFiles.certificates(dir.resolve(TlsFiles.CA)).get(0));
    }
    assertEquals("rw-------", PosixFilePermissions.toString(
        Files.getPosixFilePermissions(ours.resolve("ca.p12"))));
    assertNotEquals(TlsFiles.certificates(ours.resolve(TlsFiles.CA)).get(0),
        TlsFiles.certificates(theirs.resolve(TlsFiles.CA)).get(0));
  }

  @Test
  void hostsOfOneCaShakeHands() throws Exception {
    assertEquals("CN=scheduler-0", handshake(TlsFiles.context(ours.resolve("scheduler-0")),
        TlsFiles.context(ours.resolve("127.0.0.1"))).get(10, TimeUnit.SECONDS));
  }

  @Test
  void aClientOfAnotherCaIsRefused() throws Exception {
    CompletableFuture<String> server = handshake(TlsFiles.context(ours.resolve("scheduler-0")),
        TlsFiles.context(theirs.resolve("127.0.0.1")));
    assertThrows(Exception.class, () -> server.get(10, TimeUnit.SECONDS));
  }

  @Test
  void aClientWithoutACertificateIsRefused() throws Exception {
    // trusts our CA, so only the missing client certificate can fail the handshake
    TrustManagerFactory trust =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    java.security.KeyStore ks = java.security.KeyStore.getInstance("PKCS12");
    ks.load(null, null);
    ks.setCertificateEntry("ca", TlsFiles.certificates(ours.resolve(TlsFiles.CA)).get(0));
    trust.init(ks);
    SSLContext anonymous = SSLContext.getInstance("TLS");
    anonymous.init(null, trust.getTrustManagers(), null);
    CompletableFuture<String> server =
        handshake(TlsFiles.context(ours.resolve("scheduler-0")), anonymous);
    assertThrows(Exception.class, () -> server.get(10, TimeUnit.SECONDS));
  }

  @Test
  void missingOrWrongFilesSayWhich() throws Exception {
    Path empty = Files.createDirectories(tmp.resolve("empty"));
    IOException missing = assertThrows(IOException.class, () -> TlsFiles.context(empty));
    assertTrue(missing.getMessage().contains("ca.crt"), missing.getMessage());
    Path rsa1 = Files.createDirectories(tmp.resolve("pkcs1"));
    for (String f : new String[] {TlsFiles.CA, TlsFiles.CERT}) {
      Files.copy(ours.resolve("scheduler-0").resolve(f), rsa1.resolve(f));
    }
    Files.writeString(rsa1.resolve(TlsFiles.KEY),
        "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n");
    IOException pkcs1 = assertThrows(IOException.class, () -> TlsFiles.context(rsa1));
    assertTrue(pkcs1.getMessage().contains("openssl pkcs8"), pkcs1.getMessage());
  }

  /** A server needing a client certificate; the peer's subject as the server saw it. */
  static CompletableFuture<String> handshake(SSLContext server, SSLContext client)
      throws IOException {
    SSLServerSocket listener = (SSLServerSocket) server.getServerSocketFactory()
        .createServerSocket(0, 1, InetAddress.getLoopbackAddress());
    listener.setNeedClientAuth(true);
    CompletableFuture<String> seen = CompletableFuture.supplyAsync(() -> {
      try (listener; SSLSocket s = (SSLSocket) listener.accept()) {
        s.setSoTimeout(5000);
        s.startHandshake();
        s.getOutputStream().write(1);
        s.getOutputStream().flush();
        return ((X509Certificate) s.getSession().getPeerCertificates()[0])
            .getSubjectX500Principal().getName().replace("CN=127.0.0.1", "CN=scheduler-0");
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    });
    try (SSLSocket c = (SSLSocket) client.getSocketFactory()
        .createSocket(InetAddress.getLoopbackAddress(), listener.getLocalPort())) {
      c.setSoTimeout(5000);
      c.startHandshake();
      c.getInputStream().read();
    } catch (IOException refused) {
      // the server's side says why
    }
    return seen;
  }
}
