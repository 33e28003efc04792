package dev.dfcache.e2e;

import dev.dfcache.rpc.Channels;
import dev.dfcache.tls.PeerTls;
import dev.dfcache.tls.TlsFiles;
import java.nio.file.Path;

/**
 * The bad-input suite again with mutual TLS on: the peer API and the upload server answer the
 * same malformed requests the same way over TLS (with a client certificate of the CA).
 */
class BadInputTlsIT extends BadInputIT {
  @Override
  void configure(LocalCluster cluster) throws Exception {
    Path tls = cluster.enableTls();
    EndToEndIT.sockets = TlsFiles.context(tls).getSocketFactory();
    peerChannels = new Channels(PeerTls.load(tls).grpcClient());
  }
}
