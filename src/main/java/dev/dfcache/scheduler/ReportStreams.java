package dev.dfcache.scheduler;

import dev.dfcache.api.common.Code;
import dev.dfcache.api.scheduler.PeerPacket;
import dev.dfcache.api.scheduler.PieceResult;
import dev.dfcache.common.DfException;
import dev.dfcache.common.GrpcErrors;
import dev.dfcache.common.PeerEndpoint;
import dev.dfcache.common.PieceMarks;
import dev.dfcache.common.TaskIds;
import java.util.List;
import java.util.Optional;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.OverflowStrategy;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.typed.javadsl.ActorSource;

/**
 * The ReportPieceResult stream of one download, on whichever scheduler node the peer reached:
 * each PieceResult goes to the task's entity (wherever sharding placed it) together with an actor
 * ref that feeds this stream's PeerPackets, so the entity can push new parents at any time. A
 * stream belongs to one task and one peer: the first message fixes both, and a message that
 * names others fails the stream (BadRequest).
 */
final class ReportStreams {
  /** What the entity pushes is small and only the latest matters: keep the last few. */
  private static final int BUFFER = 8;

  private final ClusterSharding sharding;
  private final Materializer materializer;

  ReportStreams(ClusterSharding sharding, ActorSystem<?> system) {
    this.sharding = sharding;
    this.materializer = Materializer.matFromSystem(system);
  }

  /** Ends the stream normally (the peer closed its side). */
  private record End() {}

  /** Fails the stream with a coded error. */
  private record Failed(DfException error) {}

  /** The task and peer of one stream, fixed by its first message. */
  private static final class Session {
    volatile String taskId;
    volatile String peerId;

    void check(PieceResult r) {
      String task = TaskIds.requireValidTaskId(r.getTaskId());
      if (r.getSrcPid().isBlank()) {
        throw DfException.badRequest("src_pid must not be empty");
      }
      if (taskId == null) {
        taskId = task;
        peerId = r.getSrcPid();
      } else if (!taskId.equals(task) || !peerId.equals(r.getSrcPid())) {
        throw DfException.badRequest("one ReportPieceResult stream carries one task of one peer");
      }
    }
  }

  /** A stream whose reports act for peers of {@code caller} only (the entity checks each). */
  Source<PeerPacket, NotUsed> open(Source<PieceResult, NotUsed> in, PeerIdentity caller) {
    Session session = new Session();
    return ActorSource.<Object>actorRef(
            m -> m instanceof End,
            m -> m instanceof Failed f
                ? Optional.of(GrpcErrors.toGrpc(f.error())) : Optional.empty(),
            BUFFER, OverflowStrategy.dropHead())
        .mapMaterializedValue(packets -> {
          forward(in, session, caller, packets);
          return NotUsed.notUsed();
        })
        // a failed schedule is the stream's last packet
        .takeWhile(m -> !(m instanceof TaskEntity.ScheduleFailed), true)
        .map(m -> toPacket(session, m));
  }

  private void forward(Source<PieceResult, NotUsed> in, Session session, PeerIdentity caller,
      ActorRef<Object> packets) {
    ActorRef<TaskEntity.PacketUpdate> updates = packets.narrow();
    in.map(r -> {
          session.check(r);
          return r;
        })
        .runWith(Sink.foreach(r -> sharding.entityRefFor(TaskEntity.TYPE_KEY, session.taskId)
            .tell(reported(r, caller, updates))), materializer)
        .whenComplete((done, failure) -> {
          if (session.taskId != null) {
            sharding.entityRefFor(TaskEntity.TYPE_KEY, session.taskId)
                .tell(new TaskEntity.ReportsEnded(session.peerId, updates));
          }
          packets.tell(failure == null ? new End() : new Failed(DfException.of(failure)));
        });
  }

  private static TaskEntity.PieceReported reported(PieceResult r, PeerIdentity caller,
      ActorRef<TaskEntity.PacketUpdate> updates) {
    int piece = r.getPieceInfo().getPieceNum();
    long cost = r.getPieceInfo().getDownloadCost();
    if (cost <= 0 && r.getEndTime() > r.getBeginTime()) {
      cost = (r.getEndTime() - r.getBeginTime()) / 1_000_000; // v1 peers send nanoseconds
    }
    boolean mark = piece == PieceMarks.BEGIN_OF_PIECE || piece == PieceMarks.END_OF_PIECE;
    return new TaskEntity.PieceReported(r.getSrcPid(), piece, r.getDstPid(),
        mark || r.getSuccess(), r.getCodeValue(), cost, caller, updates);
  }

  private static PeerPacket toPacket(Session session, Object update) {
    PeerPacket.Builder b = PeerPacket.newBuilder()
        .setTaskId(session.taskId)
        .setSrcPid(session.peerId);
    if (update instanceof TaskEntity.NewParents n) {
      List<PeerEndpoint> parents = n.parents();
      b.setCode(Code.Success).setParallelCount(parents.size());
      for (int i = 0; i < parents.size(); i++) {
        PeerEndpoint p = parents.get(i);
        PeerPacket.DestPeer dest = PeerPacket.DestPeer.newBuilder()
            .setIp(p.ip()).setRpcPort(p.rpcPort()).setPeerId(p.id()).build();
        if (i == 0) {
          b.setMainPeer(dest);
        } else {
          b.addCandidatePeers(dest);
        }
      }
    } else if (update instanceof TaskEntity.ScheduleFailed f) {
      Code code = Code.forNumber(f.code());
      b.setCode(code == null ? Code.SchedError : code);
    }
    return b.build();
  }
}
