package dev.dfcache.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.dfcache.api.manager.UpdateSchedulerRequest;
import dev.dfcache.common.HostPort;
import dev.dfcache.e2e.LocalCluster.Proc;
import dev.dfcache.rpc.Channels;
import dev.dfcache.rpc.ManagerRpc;
import dev.dfcache.tls.PeerTls;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * {@link ManagerIT} with mutual TLS on every hop, the manager's gRPC port included: schedulers
 * and daemons register with their own certificates; a client without one is refused.
 */
class ManagerTlsIT extends ManagerIT {
  Path tls;

  @Override
  void configure(LocalCluster cluster) throws Exception {
    tls = cluster.enableTls();
  }

  @Override
  Channels componentChannels() throws Exception {
    return new Channels(PeerTls.load(tls).grpcClient());
  }

  @Test
  void aClientWithoutACertificateCannotRegister() throws Exception {
    Proc manager = startManager("manager");
    try (Channels plain = new Channels()) {
      StatusRuntimeException refused = assertThrows(StatusRuntimeException.class,
          () -> ManagerRpc.UPDATE_SCHEDULER.call(
              plain.get(HostPort.parse("127.0.0.1:" + manager.grpcPort)),
              UpdateSchedulerRequest.newBuilder().setHostName("intruder").setIp("127.0.0.1")
                  .setPort(1).build(), Duration.ofSeconds(5)));
      assertEquals(Status.Code.UNAVAILABLE, refused.getStatus().getCode(), refused.toString());
    }
    ManagerApi api = ManagerApi.of(manager).signIn("root", PASSWORD);
    assertEquals(0, count(api), "nothing registered");
  }

  static int count(ManagerApi api) throws Exception {
    int n = 0;
    for (var ignored : ManagerApi.rows(api.get("/api/v1/schedulers").body())) {
      n++;
    }
    return n;
  }
}
