package dev.dfcache.tls;

import java.nio.file.Path;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.TrustManager;
import org.apache.pekko.http.javadsl.ConnectionContext;
import org.apache.pekko.http.javadsl.HttpsConnectionContext;
import org.apache.pekko.http.javadsl.model.AttributeKeys;
import org.apache.pekko.http.javadsl.model.HttpRequest;

/**
 * Mutual TLS between daemons (the peer gRPC API and piece uploads), from a {@code --tls-dir}.
 *
 * <p>A peer is authenticated by its certificate's CA, not by the address it is dialled at:
 * daemons find each other by the addresses the scheduler hands out (pod IPs that change), and
 * every piece is checked against its SHA-256 anyway. Calls to schedulers and to the manager keep
 * a name check: against the TLS server name configured for them (--scheduler-tls-name,
 * --manager-tls-name), whatever address is dialled.
 */
public final class PeerTls {
  private final SSLContext server;
  private final io.grpc.netty.shaded.io.netty.handler.ssl.SslContext grpcClient;
  /**
   * One for the daemon's life: pekko-http keys its connection pools by the context, so a new
   * context per piece would mean a new pool and a new handshake per piece (measured: 128 MiB
   * export 2.2 s instead of 0.6 s).
   */
  private final HttpsConnectionContext pieceClient;

  private PeerTls(SSLContext server, SSLContext client,
      io.grpc.netty.shaded.io.netty.handler.ssl.SslContext grpcClient) {
    this.server = server;
    this.grpcClient = grpcClient;
    this.pieceClient = ConnectionContext.httpsClient((host, port) -> {
      SSLEngine engine = client.createSSLEngine(host, port);
      engine.setUseClientMode(true);
      return engine;
    });
  }

  public static PeerTls load(Path dir) throws Exception {
    TlsFiles.Identity id = TlsFiles.load(dir);
    // the CA's verdict without the host name check
    TrustManager[] anyName = {id.checked(false, null)};
    SSLContext server = TlsFiles.context(dir);
    SSLContext client = SSLContext.getInstance("TLS");
    client.init(id.keys().getKeyManagers(), anyName, null);
    return new PeerTls(server, client, TlsFiles.grpcClient(id.keys(), anyName[0]));
  }

  /** The peer gRPC port: every caller must present a certificate of the CA. */
  public HttpsConnectionContext grpcServer() {
    return ConnectionContext.httpsServer(() -> engine(true));
  }

  /**
   * The upload port: a certificate is asked for but checked per request (piece downloads need
   * one, {@link #presentedCertificate}), so that kubelet probes and Prometheus reach /healthz
   * and /metrics without one.
   */
  public HttpsConnectionContext uploadServer() {
    return ConnectionContext.httpsServer(() -> engine(false));
  }

  private SSLEngine engine(boolean need) {
    SSLEngine engine = server.createSSLEngine();
    engine.setUseClientMode(false);
    if (need) {
      engine.setNeedClientAuth(true);
    } else {
      engine.setWantClientAuth(true);
    }
    return engine;
  }

  /** For piece downloads (https://, with our certificate). */
  public HttpsConnectionContext pieceClient() {
    return pieceClient;
  }

  /** For the peer gRPC channels. */
  public io.grpc.netty.shaded.io.netty.handler.ssl.SslContext grpcClient() {
    return grpcClient;
  }

  /**
   * Whether the request came with a certificate the CA signed (the handshake verified it).
   * Needs {@code pekko.http.server.parsing.ssl-session-attribute = on}.
   */
  public static boolean presentedCertificate(HttpRequest request) {
    return request.getAttribute(AttributeKeys.sslSession).map(info -> {
      try {
        return info.getSession().getPeerCertificates().length > 0;
      } catch (SSLPeerUnverifiedException none) {
        return false;
      }
    }).orElse(false);
  }
}
