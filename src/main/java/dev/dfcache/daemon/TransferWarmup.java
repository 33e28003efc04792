package dev.dfcache.daemon;

import dev.dfcache.common.Digests;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the transfer path's hottest code once at start, in the background, so that the first
 * export a user makes does not pay for it: SHA-256 over heap chunks the way a download verifies
 * pieces (until the JIT compiles it to the CPU's SHA instructions it runs many times slower),
 * and the HTTP client's connection pool to this daemon's own upload server.
 */
final class TransferWarmup {
  private static final Logger log = LoggerFactory.getLogger(TransferWarmup.class);
  /** Enough 1 MiB updates for the JIT to compile the digest loop with its intrinsic. */
  static final int DIGEST_MIB = 64;

  private TransferWarmup() {}

  static void start(DaemonEnv env, String uploadBase) {
    long t0 = System.nanoTime();
    HttpRequest health = HttpRequest.GET(uploadBase + "/healthz");
    Http http = Http.get(env.system());
    CompletableFuture.runAsync(TransferWarmup::digest, env.blocking())
        .thenCompose(v -> env.peerTls() == null ? http.singleRequest(health)
            : http.singleRequest(health, env.peerTls().pieceClient()))
        .thenAccept(response -> response.discardEntityBytes(env.system()))
        .whenComplete((v, t) -> {
          if (t != null) {
            log.info("transfer warm-up incomplete (harmless: the first export is slower): {}",
                t.toString());
          } else {
            log.info("transfer path warmed up in {} ms", (System.nanoTime() - t0) / 1_000_000);
          }
        });
  }

  static void digest() {
    ByteBuffer chunk = ByteBuffer.allocate(1 << 20);
    MessageDigest md = Digests.sha256();
    for (int i = 0; i < DIGEST_MIB; i++) {
      md.update(chunk.duplicate());
    }
    md.digest();
  }
}
