package dev.dfcache.tls;

import dev.dfcache.tls.CertificateRoles.Role;
import java.nio.file.Path;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.util.List;
import java.util.Set;

/**
 * Why this end refused the other end's certificate in a TLS handshake, with what the certificate
 * says: the JDK turns it into the SSLHandshakeException's cause, so that {@link TlsFailures} can
 * tell the user who presented what, and what was expected, instead of a Netty pipeline dump.
 */
public final class CertificateRefused extends CertificateException {
  /** What did not match. */
  public enum Reason {
    /** Not signed by the CA of ca.crt (or expired, or broken). */
    UNTRUSTED,
    /** Signed by the CA, but it names neither the name nor the address that was expected. */
    WRONG_NAME,
    /** Signed by the CA, but without the role that this connection needs. */
    WRONG_ROLE
  }

  private final Reason reason;
  private final List<String> names;
  private final Set<Role> roles;
  /** The host name (or address) expected, for WRONG_NAME; else null. */
  private final String expectedName;
  /** The role needed, for WRONG_ROLE; else null. */
  private final Role expectedRole;
  private final Path caFile;

  CertificateRefused(Reason reason, Certificate[] chain, String expectedName, Role expectedRole,
      Path caFile, Throwable cause) {
    super(text(reason, CertificateRoles.hostNames(chain), CertificateRoles.of(chain),
        expectedName, expectedRole, caFile, cause), cause);
    this.reason = reason;
    this.names = CertificateRoles.hostNames(chain);
    this.roles = CertificateRoles.of(chain);
    this.expectedName = expectedName;
    this.expectedRole = expectedRole;
    this.caFile = caFile;
  }

  public Reason reason() {
    return reason;
  }

  /** "a certificate for [dfcache-scheduler] (role scheduler)". */
  public String presented() {
    return "a certificate for " + names + " (" + rolesText(roles) + ")";
  }

  /** What was wrong with it, from this end's view: "expected the name 'x'", ... */
  public String problem() {
    return switch (reason) {
      case UNTRUSTED -> "its certificate is not signed by the CA in " + caFile + " ("
          + rootCause(getCause()) + ")";
      case WRONG_NAME -> "expected the name '" + expectedName + "'";
      case WRONG_ROLE -> "expected the role " + expectedRole.label();
    };
  }

  public String expectedName() {
    return expectedName;
  }

  private static String text(Reason reason, List<String> names, Set<Role> roles,
      String expectedName, Role expectedRole, Path caFile, Throwable cause) {
    String presented = "a certificate for " + names + " (" + rolesText(roles) + ")";
    return switch (reason) {
      case UNTRUSTED -> presented + " not signed by the CA in " + caFile + " ("
          + rootCause(cause) + ")";
      case WRONG_NAME -> presented + ", expected the name '" + expectedName + "'";
      case WRONG_ROLE -> presented + ", expected the role " + expectedRole.label();
    };
  }

  static String rolesText(Set<Role> roles) {
    return roles.isEmpty() ? "no role"
        : (roles.size() == 1 ? "role " : "roles ") + CertificateRoles.describe(roles);
  }

  private static String rootCause(Throwable t) {
    Throwable cur = t;
    while (cur != null && cur.getCause() != null && cur.getCause() != cur) {
      cur = cur.getCause();
    }
    return cur == null ? "no reason given" : cur.getMessage();
  }
}
