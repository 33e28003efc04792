package dev.dfcache.tls;

import java.nio.ByteBuffer;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult.HandshakeStatus;
import javax.net.ssl.SSLException;

/** A TLS handshake between two SSLEngines in memory, for unit tests of trust decisions. */
public final class Handshakes {
  private Handshakes() {}

  /**
   * Runs the handshake and one application record each way (so that TLS 1.3's verdict on the
   * client's certificate reaches the client), as the client sees it: a server that refuses
   * sends its alert, which fails the client.
   *
   * @throws SSLException the client's failure
   */
  public static void run(SSLEngine client, SSLEngine server) throws SSLException {
    int size = Math.max(client.getSession().getPacketBufferSize(),
        server.getSession().getPacketBufferSize()) * 4;
    ByteBuffer toServer = ByteBuffer.allocate(size);
    ByteBuffer toClient = ByteBuffer.allocate(size);
    ByteBuffer clientApp = ByteBuffer.allocate(size);
    ByteBuffer serverApp = ByteBuffer.allocate(size);
    ByteBuffer hello = ByteBuffer.wrap(new byte[] {1});
    ByteBuffer hi = ByteBuffer.wrap(new byte[] {2});
    client.beginHandshake();
    server.beginHandshake();
    boolean serverFailed = false;
    for (int round = 0; round < 200; round++) {
      client.wrap(hello, toServer);
      try {
        server.wrap(hi, toClient); // after a failure: the alert
      } catch (SSLException e) {
        serverFailed = true;
      }
      toServer.flip();
      try {
        if (!serverFailed) {
          server.unwrap(toServer, serverApp);
          runTasks(server);
        }
      } catch (SSLException e) {
        serverFailed = true;
      }
      toServer.compact();
      toClient.flip();
      client.unwrap(toClient, clientApp);
      toClient.compact();
      runTasks(client);
      if (clientApp.position() > 0 && serverApp.position() > 0) {
        return;
      }
      // a refusal found by a delegated task is thrown by the engine's next wrap or unwrap
    }
    throw new SSLException("handshake did not finish");
  }

  private static void runTasks(SSLEngine engine) {
    Runnable task;
    while (engine.getHandshakeStatus() == HandshakeStatus.NEED_TASK
        && (task = engine.getDelegatedTask()) != null) {
      task.run();
    }
  }
}
