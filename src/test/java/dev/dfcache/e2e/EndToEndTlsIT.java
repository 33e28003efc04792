package dev.dfcache.e2e;

import dev.dfcache.tls.TlsFiles;

/**
 * The whole end-to-end suite again with mutual TLS on every hop (scheduler gRPC, peer gRPC,
 * piece uploads): the CLI still talks to its daemon on the unix socket, the raw upload-server
 * cases go over TLS with a client certificate.
 */
class EndToEndTlsIT extends EndToEndIT {
  @Override
  void configure(LocalCluster cluster) throws Exception {
    sockets = TlsFiles.context(cluster.enableTls()).getSocketFactory();
  }
}
