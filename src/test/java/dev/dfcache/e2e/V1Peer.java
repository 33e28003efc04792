package dev.dfcache.e2e;

import dev.dfcache.api.common.PiecePacket;
import dev.dfcache.api.common.PieceTaskRequest;
import dev.dfcache.api.dfdaemon.DaemonClient;
import dev.dfcache.api.scheduler.PeerHost;
import dev.dfcache.api.scheduler.PeerPacket;
import dev.dfcache.api.scheduler.PeerTaskRequest;
import dev.dfcache.api.scheduler.PieceResult;
import dev.dfcache.api.scheduler.RegisterResult;
import dev.dfcache.api.scheduler.SchedulerClient;
import dev.dfcache.api.common.PieceInfo;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.grpc.GrpcClientSettings;
import org.apache.pekko.stream.OverflowStrategy;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.javadsl.SourceQueueWithComplete;

/**
 * A Dragonfly v1 peer as a test sees it, written only against the protos: the clients that
 * pekko-grpc generates from them, and plain HTTP for piece bytes. None of dfcache's own client
 * code is used, so what passes here is what a stock v1 client gets.
 */
final class V1Peer implements AutoCloseable {
  static final int BEGIN_OF_PIECE = -1;
  static final int END_OF_PIECE = 1 << 30;

  final String peerId;
  /** Its host's id: a stock v1 peer's differs from its peer id ("ip-pid-uuid"). */
  final String hostId;
  private final ActorSystem system;
  private final SchedulerClient scheduler;
  private SourceQueueWithComplete<PieceResult> reports;
  final BlockingQueue<PeerPacket> packets = new LinkedBlockingQueue<>();

  V1Peer(String peerId, String schedulerHost, int schedulerPort) {
    this(peerId, peerId, schedulerHost, schedulerPort);
  }

  V1Peer(String peerId, String hostId, String schedulerHost, int schedulerPort) {
    this.peerId = peerId;
    this.hostId = hostId;
    this.system = ActorSystem.create("v1-peer-" + peerId.replaceAll("[^A-Za-z0-9]", ""));
    this.scheduler = SchedulerClient.create(
        GrpcClientSettings.connectToServiceAt(schedulerHost, schedulerPort, system).withTls(false),
        system);
  }

  PeerHost host() {
    return PeerHost.newBuilder().setId(hostId).setIp("127.0.0.1").setRpcPort(1).setDownPort(2)
        .setHostname("v1-test").build();
  }

  RegisterResult register(String taskId) throws Exception {
    return scheduler.registerPeerTask(PeerTaskRequest.newBuilder().setTaskId(taskId)
            .setPeerId(peerId).setPeerHost(host()).build())
        .toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  /** Opens ReportPieceResult and sends the begin-of-piece mark. */
  void openReports(String taskId) {
    var pair = Source.<PieceResult>queue(64, OverflowStrategy.backpressure()).preMaterialize(system);
    reports = pair.first();
    scheduler.reportPieceResult(pair.second())
        .runWith(Sink.foreach(packets::add), system);
    report(taskId, BEGIN_OF_PIECE, "", true);
  }

  void report(String taskId, int piece, String parent, boolean success) {
    reports.offer(PieceResult.newBuilder().setTaskId(taskId).setSrcPid(peerId).setDstPid(parent)
        .setPieceInfo(PieceInfo.newBuilder().setPieceNum(piece)).setSuccess(success).build());
  }

  PeerPacket nextPacket(Duration within) throws InterruptedException {
    PeerPacket p = packets.poll(within.toMillis(), TimeUnit.MILLISECONDS);
    if (p == null) {
      throw new AssertionError("no PeerPacket within " + within);
    }
    return p;
  }

  /** The ids a packet names: main peer first, then the candidates. */
  static List<String> parentIds(PeerPacket p) {
    List<String> ids = new ArrayList<>();
    if (p.hasMainPeer()) {
      ids.add(p.getMainPeer().getPeerId());
    }
    p.getCandidatePeersList().forEach(d -> ids.add(d.getPeerId()));
    return ids;
  }

  /** GetPieceTasks from a parent's dfdaemon. */
  PiecePacket pieceTasks(PeerPacket.DestPeer parent, String taskId) throws Exception {
    DaemonClient daemon = DaemonClient.create(GrpcClientSettings
        .connectToServiceAt(parent.getIp(), parent.getRpcPort(), system).withTls(false), system);
    try {
      return daemon.getPieceTasks(PieceTaskRequest.newBuilder().setTaskId(taskId)
              .setSrcPid(peerId).setDstPid(parent.getPeerId()).build())
          .toCompletableFuture().get(30, TimeUnit.SECONDS);
    } finally {
      daemon.close();
    }
  }

  /** ReportPeerResult: the download ended. */
  void finished(String taskId, boolean success) throws Exception {
    scheduler.reportPeerResult(dev.dfcache.api.scheduler.PeerResult.newBuilder()
            .setTaskId(taskId).setPeerId(peerId).setSrcIp("127.0.0.1").setSuccess(success)
            .build())
        .toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  /** LeaveTask. */
  void leave(String taskId) throws Exception {
    scheduler.leaveTask(dev.dfcache.api.scheduler.PeerTarget.newBuilder().setTaskId(taskId)
            .setPeerId(peerId).build())
        .toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  void endReports(String taskId) {
    report(taskId, END_OF_PIECE, "", true);
    reports.complete();
  }

  @Override
  public void close() {
    if (reports != null) {
      reports.complete();
    }
    scheduler.close();
    system.terminate();
  }
}
