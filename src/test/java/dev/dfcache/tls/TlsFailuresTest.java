package dev.dfcache.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dfcache.common.HostPort;
import java.nio.file.Path;
import java.util.Optional;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.TrustManager;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real handshakes in memory, and the words a refusal gives: who was dialled, what its
 * certificate names, what was expected, and the flag that changes it.
 */
class TlsFailuresTest {
  @TempDir
  static Path dir;
  static Path pki;
  static Path foreign;
  static final HostPort DIALLED = new HostPort("10.0.0.7", 8002);
  static final TlsTarget SCHEDULER =
      TlsTarget.named("scheduler", "scheduler.example", "--scheduler-tls-name");

  @BeforeAll
  static void certificates() {
    pki = dir.resolve("pki");
    foreign = dir.resolve("foreign");
    assertEquals(0, CertsCommand.run("--role", "scheduler", pki.toString(), "dfcache-scheduler"));
    assertEquals(0, CertsCommand.run("--role", "dfdaemon", pki.toString(), "dfdaemon"));
    assertEquals(0, CertsCommand.run("--role", "dfdaemon", foreign.toString(), "dfdaemon"));
  }

  /** A grpc-like client: our certificate, CheckedTrust, the name check on {@code name}. */
  static SSLEngine client(Path tls, String name) throws Exception {
    TlsFiles.Identity id = TlsFiles.load(tls);
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(id.keys().getKeyManagers(), new TrustManager[] {id.checked(true, null)}, null);
    SSLEngine engine = context.createSSLEngine(name, 8002);
    engine.setUseClientMode(true);
    SSLParameters params = engine.getSSLParameters();
    params.setEndpointIdentificationAlgorithm("HTTPS");
    engine.setSSLParameters(params);
    return engine;
  }

  /** The scheduler's gRPC port: a client certificate of its CA needed. */
  static SSLEngine server(Path tls) throws Exception {
    SSLEngine engine = TlsFiles.context(tls).createSSLEngine();
    engine.setUseClientMode(false);
    engine.setNeedClientAuth(true);
    return engine;
  }

  @Test
  void theNameTheClientWasToldIsWhatItChecks() throws Exception {
    Handshakes.run(client(pki.resolve("dfdaemon"), "dfcache-scheduler"),
        server(pki.resolve("dfcache-scheduler")));
    SSLException e = assertThrows(SSLException.class,
        () -> Handshakes.run(client(pki.resolve("dfdaemon"), "scheduler.example"),
            server(pki.resolve("dfcache-scheduler"))));
    assertEquals(Optional.of("TLS: scheduler 10.0.0.7:8002 presented a certificate for "
            + "[dfcache-scheduler] (role scheduler), expected the name 'scheduler.example' (set "
            + "--scheduler-tls-name)"),
        TlsFailures.explain(e, SCHEDULER, DIALLED));
  }

  @Test
  void aServerOfAnotherCaIsNamedWithTheCaFileItIsNotSignedBy() throws Exception {
    SSLException e = assertThrows(SSLException.class,
        () -> Handshakes.run(client(foreign.resolve("dfdaemon"), "dfcache-scheduler"),
            server(pki.resolve("dfcache-scheduler"))));
    String words = TlsFailures.explain(e, SCHEDULER, DIALLED).orElseThrow();
    assertTrue(words.startsWith("TLS: scheduler 10.0.0.7:8002 presented a certificate for "
        + "[dfcache-scheduler] (role scheduler), its certificate is not signed by the CA in "
        + foreign.resolve("dfdaemon").resolve("ca.crt").toAbsolutePath()), words);
  }

  @Test
  void aServerThatRefusesOurCertificateIsSaidToHaveRefusedIt() throws Exception {
    Path mixed = java.nio.file.Files.createDirectories(dir.resolve("mixed"));
    java.nio.file.Files.copy(pki.resolve("ca.crt"), mixed.resolve("ca.crt"),
        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    for (String f : new String[] {"tls.crt", "tls.key"}) {
      java.nio.file.Files.copy(foreign.resolve("dfdaemon").resolve(f), mixed.resolve(f),
          java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }
    SSLException e = assertThrows(SSLException.class,
        () -> Handshakes.run(client(mixed, "dfcache-scheduler"),
            server(pki.resolve("dfcache-scheduler"))));
    String words = TlsFailures.explain(e, SCHEDULER, DIALLED).orElseThrow();
    assertTrue(words.startsWith("TLS: scheduler 10.0.0.7:8002 refused this component's "
        + "certificate"), words);
  }

  @Test
  void otherFailuresAreNotTls() {
    assertEquals(Optional.empty(), TlsFailures.explain(
        new java.net.ConnectException("Connection refused"), SCHEDULER, DIALLED));
    assertEquals(Optional.of("TLS: scheduler 10.0.0.7:8002 does not speak TLS on that port "
            + "(started without --tls-dir?)"),
        TlsFailures.explain(new io.grpc.StatusRuntimeException(io.grpc.Status.UNAVAILABLE
            .withCause(new SSLException("Unsupported or unrecognized SSL message"))),
            SCHEDULER, DIALLED));
  }

  @Test
  void aMissingRoleIsNamed() throws Exception {
    TlsFiles.Identity id = TlsFiles.load(pki.resolve("dfcache-scheduler"));
    CertificateRefused refused = assertThrows(CertificateRefused.class,
        () -> id.checked(false, CertificateRoles.Role.SCHEDULER).checkClientTrusted(
            java.util.Arrays.stream(TlsFiles.chain(pki.resolve("dfdaemon")))
                .toArray(java.security.cert.X509Certificate[]::new),
            "RSA"));
    assertEquals("a certificate for [dfdaemon] (role dfdaemon), expected the role scheduler",
        refused.getMessage());
  }
}
