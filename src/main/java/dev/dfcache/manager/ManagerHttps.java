package dev.dfcache.manager;

import dev.dfcache.tls.TlsFiles;
import java.nio.file.Path;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import org.apache.pekko.http.javadsl.ConnectionContext;
import org.apache.pekko.http.javadsl.HttpsConnectionContext;

/**
 * HTTPS for the REST API and console, with the manager's certificate from its --tls-dir. No
 * client certificate is asked for: browsers, curl and scripts sign in with a password or a
 * token. (The gRPC port keeps mutual TLS: components present their own certificates.)
 */
final class ManagerHttps {
  private ManagerHttps() {}

  static HttpsConnectionContext restServer(Path tlsDir) throws Exception {
    SSLContext context = TlsFiles.context(tlsDir);
    return ConnectionContext.httpsServer(() -> {
      SSLEngine engine = context.createSSLEngine();
      engine.setUseClientMode(false);
      engine.setNeedClientAuth(false);
      engine.setWantClientAuth(false);
      return engine;
    });
  }
}
