package dev.dfcache.scheduler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dfcache.api.common.PieceInfo;
import dev.dfcache.api.common.PiecePacket;
import dev.dfcache.api.common.UrlMeta;
import dev.dfcache.api.peer.ReportBadParentRequest;
import dev.dfcache.api.peer.TaskDescription;
import dev.dfcache.api.scheduler.AnnounceTaskRequest;
import dev.dfcache.api.scheduler.PeerHost;
import dev.dfcache.api.scheduler.PeerTaskRequest;
import dev.dfcache.api.scheduler.PeerTarget;
import dev.dfcache.api.scheduler.RegisterResult;
import dev.dfcache.api.scheduler.StatTaskRequest;
import dev.dfcache.common.Digests;
import dev.dfcache.common.TaskIds;
import dev.dfcache.rpc.Channels;
import dev.dfcache.rpc.SchedulerRpc;
import dev.dfcache.rpc.UnaryMethod;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A real scheduler node called over gRPC as peers call it: holder groups of a content-addressed
 * task ({@link TaskSigns}) and stock Dragonfly v1 peer ids.
 */
class ContentAddressedTasksTest {
  final Channels channels = new Channels();
  SchedulerNode node;

  @BeforeEach
  void start() {
    var config = SchedulerClusterTest.config();
    node = SchedulerNode.start(SchedulerSettings.fromConfig(config)
        .withAddresses("127.0.0.1", 0, 0, List.of()), config, null);
  }

  @AfterEach
  void stop() {
    channels.close();
    node.close();
  }

  <I extends com.google.protobuf.Message, O extends com.google.protobuf.Message> O call(
      UnaryMethod<I, O> method, I in) {
    return method.call(channels.get(node.grpcAddress()), in, Duration.ofSeconds(10));
  }

  String failure(Runnable r) {
    return assertThrows(StatusRuntimeException.class, r::run).getStatus().getDescription();
  }

  static PeerHost host(String id, String ip) {
    return PeerHost.newBuilder().setId(id).setIp(ip).setRpcPort(1).setDownPort(2)
        .setHostname(id).build();
  }

  /** An announce of {@code content} (one piece) under {@code url}. */
  static AnnounceTaskRequest announce(String url, String peer, String content) {
    byte[] bytes = content.getBytes();
    return AnnounceTaskRequest.newBuilder()
        .setTaskId(TaskIds.taskId(url, UrlMeta.getDefaultInstance()))
        .setUrl(url)
        .setPeerHost(host(peer, "127.0.0.1"))
        .setPiecePacket(PiecePacket.newBuilder().setContentLength(bytes.length).setTotalPiece(1)
            .addPieceInfos(PieceInfo.newBuilder().setPieceNum(0).setRangeSize(bytes.length)
                .setPieceMd5(Digests.sha256Hex(bytes))))
        .build();
  }

  static String signOf(String content) {
    return Digests.pieceListSign(List.of(Digests.sha256Hex(content.getBytes())));
  }

  RegisterResult register(String url, String peerId, PeerHost host, List<String> refused) {
    return call(SchedulerRpc.REGISTER_PEER_TASK, PeerTaskRequest.newBuilder()
        .setTaskId(TaskIds.taskId(url, UrlMeta.getDefaultInstance())).setUrl(url)
        .setPeerId(peerId).setPeerHost(host).addAllRefusedSigns(refused).build());
  }

  void reportGroup(String url, String reporter, String bad, String sign) {
    call(SchedulerRpc.REPORT_BAD_PARENT, ReportBadParentRequest.newBuilder()
        .setTaskId(TaskIds.taskId(url, UrlMeta.getDefaultInstance())).setReporterPeerId(reporter)
        .setBadPeerId(bad).setPieceMd5Sign(sign).build());
  }

  @Test
  void aSquattersAnnounceNoLongerKeepsTheOwnersOutAndDownloadersMoveOnFromIt() {
    String owner = "the real bytes";
    String url = TaskIds.urlForCid("sha256:" + Digests.sha256Hex(owner.getBytes()));
    String taskId = TaskIds.taskId(url, UrlMeta.getDefaultInstance());
    call(SchedulerRpc.ANNOUNCE_TASK, announce(url, "squatter", "other bytes!"));
    call(SchedulerRpc.ANNOUNCE_TASK, announce(url, "owner", owner)); // not refused

    RegisterResult first = register(url, "d1", host("d1", "127.0.0.1"), List.of());
    assertEquals(signOf("other bytes!"), first.getPieceMd5Sign(), "announce order");
    RegisterResult next = register(url, "d1", host("d1", "127.0.0.1"),
        List.of(signOf("other bytes!")));
    assertEquals(signOf(owner), next.getPieceMd5Sign());
    TaskDescription described = call(SchedulerRpc.DESCRIBE_TASK, StatTaskRequest.newBuilder()
        .setTaskId(taskId).setPieceMd5Sign(next.getPieceMd5Sign()).build());
    assertEquals(owner.length(), described.getContentLength());
    assertTrue(failure(() -> register(url, "d1", host("d1", "127.0.0.1"),
        List.of(signOf("other bytes!"), signOf(owner)))).startsWith("[1404]"));
    // a download registering again stays with the group it follows
    assertEquals(signOf(owner), call(SchedulerRpc.REGISTER_PEER_TASK, PeerTaskRequest
        .newBuilder().setTaskId(taskId).setUrl(url).setPeerId("d1")
        .setPeerHost(host("d1", "127.0.0.1")).setPieceMd5Sign(signOf(owner)).build())
        .getPieceMd5Sign());
    String gone = failure(() -> call(SchedulerRpc.REGISTER_PEER_TASK, PeerTaskRequest
        .newBuilder().setTaskId(taskId).setUrl(url).setPeerId("d1")
        .setPeerHost(host("d1", "127.0.0.1")).setPieceMd5Sign(signOf("no such bytes")).build()));
    assertTrue(gone.startsWith("[1404]") && gone.contains("any more"), gone);

    // two hosts prove the squatter's group wrong: it is dropped, the squatter quarantined
    register(url, "d2", host("d2", "127.0.0.2"), List.of());
    reportGroup(url, "d1", "squatter", signOf("other bytes!"));
    reportGroup(url, "d2", "squatter", signOf("other bytes!"));
    assertEquals(signOf(owner), register(url, "d3", host("d3", "127.0.0.3"), List.of())
        .getPieceMd5Sign());
    assertEquals(owner.length(), call(SchedulerRpc.STAT_TASK,
        StatTaskRequest.newBuilder().setTaskId(taskId).build()).getContentLength());
    String refused = failure(() -> call(SchedulerRpc.ANNOUNCE_TASK,
        announce(url, "squatter", "third bytes")));
    assertTrue(refused.startsWith("[1400]") && refused.contains("refused for a while"), refused);
    refused = failure(() -> call(SchedulerRpc.ANNOUNCE_TASK,
        announce(url, "someone-else", "other bytes!")));
    assertTrue(refused.startsWith("[1400]") && refused.contains("sign"), refused);
    // the reporters downloaded the squatter's group, and are no squatters: they may announce
    call(SchedulerRpc.ANNOUNCE_TASK, announce(url, "d1", owner));
    call(SchedulerRpc.ANNOUNCE_TASK, announce(url, "d2", owner));
  }

  @Test
  void aTaskThatNamesNoDigestKeepsItsFirstLiveHoldersContent() {
    String url = TaskIds.urlForCid("my-plain-cid");
    call(SchedulerRpc.ANNOUNCE_TASK, announce(url, "first", "one content"));
    String refused = failure(() -> call(SchedulerRpc.ANNOUNCE_TASK,
        announce(url, "second", "another content")));
    assertTrue(refused.startsWith("[1400]") && refused.contains("different content"), refused);
    // refusals and group reports mean nothing without a digest
    assertEquals(signOf("one content"), register(url, "d1", host("d1", "127.0.0.1"),
        List.of(signOf("one content"))).getPieceMd5Sign());
  }

  @Test
  void aStockV1PeerRegistersWithAPeerIdOfItsOwnAndLeaves() {
    String url = TaskIds.urlForCid("v1-task");
    String taskId = TaskIds.taskId(url, UrlMeta.getDefaultInstance());
    call(SchedulerRpc.ANNOUNCE_TASK, announce(url, "holder", "bytes"));
    String peerId = "127.0.0.9-4242-" + java.util.UUID.randomUUID();
    RegisterResult r = register(url, peerId, host("v1-host-id", "127.0.0.9"), List.of());
    assertEquals(taskId, r.getTaskId());
    assertEquals("holder", r.getSinglePiece().getDstPid());
    assertEquals(2, call(SchedulerRpc.STAT_TASK,
        StatTaskRequest.newBuilder().setTaskId(taskId).build()).getPeerCount());
    call(SchedulerRpc.LEAVE_TASK, PeerTarget.newBuilder().setTaskId(taskId).setPeerId(peerId)
        .build());
    assertEquals(1, call(SchedulerRpc.STAT_TASK,
        StatTaskRequest.newBuilder().setTaskId(taskId).build()).getPeerCount());
    for (String bad : List.of("has space", "x".repeat(SchedulerService.MAX_PEER_ID + 1), "\u00e9")) {
      String e = failure(() -> register(url, bad, host("h", "127.0.0.9"), List.of()));
      assertTrue(e.startsWith("[1400]peer_id must be"), e);
    }
    String e = failure(() -> register(url, "p", host("h", "127.0.0.9"), List.of("not-a-sign")));
    assertTrue(e.startsWith("[1400]piece_md5_sign must be"), e);
    e = failure(() -> register(url, "p", host("h", "127.0.0.9"),
        java.util.Collections.nCopies(SchedulerService.MAX_REFUSED_SIGNS + 1, signOf("x"))));
    assertTrue(e.startsWith("[1400]at most 16 refused signs"), e);
    e = failure(() -> reportGroup(url, "p", "holder", "ZZ"));
    assertTrue(e.startsWith("[1400]piece_md5_sign must be"), e);
    e = failure(() -> call(SchedulerRpc.DESCRIBE_TASK, StatTaskRequest.newBuilder()
        .setTaskId(taskId).setPieceMd5Sign("zz").build()));
    assertTrue(e.startsWith("[1400]piece_md5_sign must be"), e);
    e = failure(() -> call(SchedulerRpc.DESCRIBE_TASK, StatTaskRequest.newBuilder()
        .setTaskId(taskId).setPieceMd5Sign(signOf("never announced")).build()));
    assertTrue(e.startsWith("[1404]"), e);
  }
}
