package dev.dfcache.tls;

import dev.dfcache.tls.CertificateRefused.Reason;
import dev.dfcache.tls.CertificateRoles.Role;
import java.net.Socket;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The CA's verdict on the other end's certificate, then (when asked) the host name check and a
 * role, each refusal as a {@link CertificateRefused} that says what was presented and what was
 * expected. A certificate this end refuses as a server is also logged (rate-limited): the
 * client's own error is all the other side would see.
 *
 * <p>Extends X509ExtendedTrustManager: a plain X509TrustManager would be wrapped by the JDK,
 * which adds its own host name check back.
 */
public final class CheckedTrust extends X509ExtendedTrustManager {
  private static final Logger log = LoggerFactory.getLogger(CheckedTrust.class);
  private static final RateLimitedLog refusals = new RateLimitedLog(log, 60_000);

  private final X509ExtendedTrustManager ca;
  private final Path caFile;
  private final boolean checkNames;
  /** The role the other end's certificate must carry, or null. */
  private final Role role;

  /**
   * @param ca the CA's trust manager (TrustManagerFactory over ca.crt)
   * @param caFile where that CA came from, for messages
   * @param checkNames whether a server's certificate must name the host the client dialled
   *     (when the engine asks for it, as grpc-java's and the JDK's HTTP clients do)
   * @param role the role the other end must have, or null for any certificate of the CA
   */
  public CheckedTrust(X509ExtendedTrustManager ca, Path caFile, boolean checkNames, Role role) {
    this.ca = ca;
    this.caFile = caFile;
    this.checkNames = checkNames;
    this.role = role;
  }

  /** Whose certificate is checked: the client's (we are the server) or the server's. */
  private enum Side { CLIENT, SERVER }

  private void check(X509Certificate[] chain, String authType, Side side, SSLEngine engine,
      Socket socket) throws CertificateException {
    try {
      if (side == Side.CLIENT) {
        ca.checkClientTrusted(chain, authType);
      } else {
        ca.checkServerTrusted(chain, authType);
      }
    } catch (CertificateException e) {
      throw refused(side, new CertificateRefused(Reason.UNTRUSTED, chain, null, null, caFile, e));
    }
    if (side == Side.SERVER && checkNames && (engine != null || socket != null)) {
      try {
        // the CA again, and the name check the engine's SSLParameters ask for
        if (engine != null) {
          ca.checkServerTrusted(chain, authType, engine);
        } else {
          ca.checkServerTrusted(chain, authType, socket);
        }
      } catch (CertificateException e) {
        String expected = engine != null ? engine.getPeerHost()
            : socket instanceof javax.net.ssl.SSLSocket tls && tls.getHandshakeSession() != null
                ? tls.getHandshakeSession().getPeerHost()
                : String.valueOf(socket.getInetAddress());
        throw refused(side,
            new CertificateRefused(Reason.WRONG_NAME, chain, expected, null, caFile, e));
      }
    }
    if (role != null && !CertificateRoles.has(chain, role)) {
      throw refused(side, new CertificateRefused(Reason.WRONG_ROLE, chain, null, role, caFile,
          null));
    }
  }

  private static CertificateRefused refused(Side side, CertificateRefused e) {
    if (side == Side.CLIENT) {
      refusals.warn("TLS: refused a caller that presented " + e.presented() + ": "
          + e.problem());
    }
    return e;
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType)
      throws CertificateException {
    check(chain, authType, Side.CLIENT, null, null);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType)
      throws CertificateException {
    check(chain, authType, Side.SERVER, null, null);
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
      throws CertificateException {
    check(chain, authType, Side.CLIENT, null, socket);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
      throws CertificateException {
    check(chain, authType, Side.SERVER, null, socket);
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    check(chain, authType, Side.CLIENT, engine, null);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    check(chain, authType, Side.SERVER, engine, null);
  }

  @Override
  public X509Certificate[] getAcceptedIssuers() {
    return ca.getAcceptedIssuers();
  }
}
