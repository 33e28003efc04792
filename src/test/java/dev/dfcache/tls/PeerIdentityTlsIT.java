package dev.dfcache.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dfcache.api.common.Code;
import dev.dfcache.api.common.PiecePacket;
import dev.dfcache.api.common.UrlMeta;
import dev.dfcache.api.peer.HeartbeatRequest;
import dev.dfcache.api.peer.ReportBadParentRequest;
import dev.dfcache.api.scheduler.AnnounceTaskRequest;
import dev.dfcache.api.scheduler.PeerHost;
import dev.dfcache.api.scheduler.PeerPacket;
import dev.dfcache.api.scheduler.PeerTarget;
import dev.dfcache.api.scheduler.PeerTaskRequest;
import dev.dfcache.api.scheduler.PieceResult;
import dev.dfcache.api.scheduler.StatTaskRequest;
import dev.dfcache.common.DfException;
import dev.dfcache.common.HostPort;
import dev.dfcache.common.TaskIds;
import dev.dfcache.e2e.LocalCluster;
import dev.dfcache.e2e.LocalCluster.Proc;
import dev.dfcache.rpc.Channels;
import dev.dfcache.rpc.SchedulerRpc;
import dev.dfcache.rpc.StreamingMethod;
import io.grpc.Channel;
import io.grpc.ClientInterceptors;
import io.grpc.Metadata;
import io.grpc.Status;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * With mutual TLS the scheduler trusts a daemon only for itself: a client whose certificate
 * names 127.0.0.2 (signed by the cluster's own CA, so the handshake succeeds) tries to act for
 * the daemon at 127.0.0.1 through every scheduler call that names a peer, and to take the
 * daemon out of the swarm with bad-parent reports. Everything is refused or counted once, and
 * another daemon still downloads from the victim.
 */
class PeerIdentityTlsIT {
  static final Duration CALL = Duration.ofSeconds(30);
  LocalCluster cluster;
  Channels attackerChannels;
  Proc scheduler;
  Proc victim;
  String victimId;
  String taskId;
  Path src;

  @BeforeEach
  void setUp() throws Exception {
    cluster = LocalCluster.inTempDir("dfcache-peer-identity");
    Path pki = cluster.enableTls().getParent();
    assertEquals(0, CertsCommand.run(pki.toString(), "127.0.0.2"));
    attackerChannels = new Channels(TlsFiles.grpcClient(pki.resolve("127.0.0.2")));
    scheduler = cluster.scheduler("scheduler");
    victim = cluster.daemon("victim", scheduler.grpc());
    victimId = "127.0.0.1-" + victim.grpcPort;
    byte[] data = new byte[9 << 20];
    new Random(7).nextBytes(data);
    src = Files.write(cluster.work().resolve("src"), data);
    assertEquals(0, LocalCluster.cli(victim, "import", "-i", "held", src.toString()).exit());
    taskId = TaskIds.taskId(TaskIds.urlForCid("held"), UrlMeta.getDefaultInstance());
  }

  @AfterEach
  void tearDown() {
    attackerChannels.close();
    cluster.close();
  }

  Channel attacker() {
    return attackerChannels.get(HostPort.parse(scheduler.grpc()));
  }

  static PeerHost host(String id, String ip) {
    return PeerHost.newBuilder().setId(id).setIp(ip).setRpcPort(65000).setDownPort(65002)
        .setHostname("attacker").build();
  }

  static Code refusal(Runnable call) {
    RuntimeException e = assertThrows(RuntimeException.class, call::run);
    return DfException.of(e).code();
  }

  AnnounceTaskRequest announce(PeerHost as) {
    return announce(taskId, as);
  }

  static AnnounceTaskRequest announce(String taskId, PeerHost as) {
    return AnnounceTaskRequest.newBuilder().setTaskId(taskId).setPeerHost(as)
        .setPiecePacket(PiecePacket.newBuilder().setContentLength(0)).build();
  }

  @Test
  void aCertificateActsOnlyForPeersAtItsOwnAddresses() throws Exception {
    Channel ch = attacker();
    // as the victim's host: announce, register and heartbeat are refused
    assertEquals(Code.PermissionDenied, refusal(() -> SchedulerRpc.ANNOUNCE_TASK.call(ch,
        announce(host(victimId, "127.0.0.1")), CALL)));
    assertEquals(Code.PermissionDenied, refusal(() -> SchedulerRpc.REGISTER_PEER_TASK.call(ch,
        PeerTaskRequest.newBuilder().setTaskId(taskId).setPeerId(victimId)
            .setPeerHost(host(victimId, "127.0.0.1")).build(), CALL)));
    assertEquals(Code.PermissionDenied, refusal(() -> SchedulerRpc.HEARTBEAT.call(ch,
        HeartbeatRequest.newBuilder().setHost(host(victimId, "127.0.0.1")).build(), CALL)));
    // the victim's peer id at the attacker's own address: the id stays with its host
    assertEquals(Code.PermissionDenied, refusal(() -> SchedulerRpc.ANNOUNCE_TASK.call(ch,
        announce(host(victimId, "127.0.0.2")), CALL)));
    // calls that name only the victim's peer id
    assertEquals(Code.PermissionDenied, refusal(() -> SchedulerRpc.LEAVE_TASK.call(ch,
        PeerTarget.newBuilder().setTaskId(taskId).setPeerId(victimId).build(), CALL)));
    assertEquals(Code.PermissionDenied, refusal(() -> SchedulerRpc.REPORT_BAD_PARENT.call(ch,
        ReportBadParentRequest.newBuilder().setTaskId(taskId).setReporterPeerId(victimId)
            .setBadPeerId(victimId).build(), CALL)));
    assertEquals(Code.PermissionDenied.getNumber(), reportPieceAs(ch, victimId).getCodeValue());
    // a header claiming the victim's address is the client's word, not the certificate's
    Metadata forged = new Metadata();
    forged.put(Metadata.Key.of("dfcache-verified-addresses", Metadata.ASCII_STRING_MARSHALLER),
        "127.0.0.1");
    Channel forging = ClientInterceptors.intercept(ch, new Forging(forged));
    assertEquals(Code.PermissionDenied, refusal(() -> SchedulerRpc.LEAVE_TASK.call(forging,
        PeerTarget.newBuilder().setTaskId(taskId).setPeerId(victimId).build(), CALL)));

    // as itself, the attacker is an ordinary peer: it registers, and reports the victim bad
    // from two peer ids; one host counts once, so the victim is not quarantined
    for (String self : new String[] {"127.0.0.2-1", "127.0.0.2-2"}) {
      SchedulerRpc.REGISTER_PEER_TASK.call(ch, PeerTaskRequest.newBuilder().setTaskId(taskId)
          .setPeerId(self).setPeerHost(host(self, "127.0.0.2")).build(), CALL);
      SchedulerRpc.REPORT_BAD_PARENT.call(ch, ReportBadParentRequest.newBuilder()
          .setTaskId(taskId).setReporterPeerId(self).setBadPeerId(victimId).build(), CALL);
    }
    assertTrue(SchedulerRpc.STAT_TASK.call(ch, StatTaskRequest.newBuilder().setTaskId(taskId)
        .build(), CALL).getHasAvailablePeer(), "the victim still counts as a holder");

    // the victim is still in the swarm: another daemon downloads the task from it
    Proc other = cluster.daemon("other", scheduler.grpc());
    Path out = cluster.work().resolve("out");
    var export = LocalCluster.cli(other, "export", "-i", "held", "-O", out.toString());
    assertEquals(0, export.exit(), export.toString());
    assertEquals(sha256(src), sha256(out));
  }

  @Test
  void aDaemonWhoseCertificateDoesNotNameItsAddressIsRefused() throws Exception {
    // the daemon at 127.0.0.1 presents the certificate of 127.0.0.2: its import cannot announce
    Path pki = cluster.work().resolve("pki");
    int grpc = LocalCluster.freePort();
    Proc wrong = cluster.process("wrong-cert", java.util.List.of(), java.util.List.of("dfdaemon",
            "--host", "127.0.0.1", "--grpc-port", "" + grpc,
            "--upload-port", "" + LocalCluster.freePort(),
            "--data-dir", cluster.work().resolve("wrong-data").toString(),
            "--schedulers", scheduler.grpc(), "--tls-dir", pki.resolve("127.0.0.2").toString(),
            "--socket", cluster.work().resolve("sockets").resolve("wrong.sock").toString()),
        java.util.Map.of(), "dfdaemon ready", grpc, 0);
    var result = LocalCluster.cli(wrong, "import", "-i", "wrongly", src.toString());
    assertTrue(result.exit() != 0
        && result.err().contains("may not act for a peer at 127.0.0.1"), result.toString());
    assertTrue(Files.readString(wrong.log).contains("names the addresses [127.0.0.2]"),
        "the daemon said so at start");
  }

  @Test
  void withTheSourceRuleACallerActsForPeersAtTheAddressItConnectsFrom() throws Exception {
    int grpc = LocalCluster.freePort();
    Proc bySource = cluster.process("by-source", java.util.List.of(), java.util.List.of(
            "scheduler", "--host", "127.0.0.1", "--grpc-port", "" + grpc,
            "--cluster-port", "" + LocalCluster.freePort(), "--peer-identity", "source"),
        java.util.Map.of(), "scheduler up", grpc, 0);
    Channel ch = attackerChannels.get(HostPort.parse(bySource.grpc()));
    String task = TaskIds.taskId(TaskIds.urlForCid("by-source"), UrlMeta.getDefaultInstance());
    // the certificate names 127.0.0.2, but the connection comes from 127.0.0.1
    assertEquals(Code.PermissionDenied, refusal(() -> SchedulerRpc.ANNOUNCE_TASK.call(ch,
        announce(task, host("127.0.0.2-1", "127.0.0.2")), CALL)));
    SchedulerRpc.ANNOUNCE_TASK.call(ch, announce(task, host("127.0.0.1-1", "127.0.0.1")), CALL);
    assertEquals(1, SchedulerRpc.STAT_TASK.call(ch, StatTaskRequest.newBuilder().setTaskId(task)
        .build(), CALL).getPeerCount());
  }

  /** Sends extra headers with every call. */
  static final class Forging implements io.grpc.ClientInterceptor {
    private final Metadata extra;

    Forging(Metadata extra) {
      this.extra = extra;
    }

    @Override
    public <Q, R> io.grpc.ClientCall<Q, R> interceptCall(io.grpc.MethodDescriptor<Q, R> method,
        io.grpc.CallOptions options, Channel next) {
      return new io.grpc.ForwardingClientCall.SimpleForwardingClientCall<>(
          next.newCall(method, options)) {
        @Override
        public void start(Listener<R> listener, Metadata headers) {
          headers.merge(extra);
          super.start(listener, headers);
        }
      };
    }
  }

  /** Opens ReportPieceResult as {@code peerId} and returns the first packet the scheduler sends. */
  PeerPacket reportPieceAs(Channel ch, String peerId) throws Exception {
    BlockingQueue<Object> heard = new LinkedBlockingQueue<>();
    StreamingMethod.Call<PieceResult> call = SchedulerRpc.REPORT_PIECE_RESULT.open(ch,
        new StreamingMethod.Listener<>() {
          @Override
          public void onMessage(PeerPacket message) {
            heard.add(message);
          }

          @Override
          public void onClose(Status status, Metadata trailers) {
            heard.add(status);
          }
        });
    call.send(PieceResult.newBuilder().setTaskId(taskId).setSrcPid(peerId)
        .setPieceInfo(dev.dfcache.api.common.PieceInfo.newBuilder().setPieceNum(-1))
        .setSuccess(true).build());
    Object first = heard.poll(30, TimeUnit.SECONDS);
    call.cancel("done");
    if (!(first instanceof PeerPacket p)) {
      throw new AssertionError("expected a packet, got " + first);
    }
    return p;
  }

  static String sha256(Path p) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
        .digest(Files.readAllBytes(p)));
  }
}
