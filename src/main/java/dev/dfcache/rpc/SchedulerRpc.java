package dev.dfcache.rpc;

import com.google.protobuf.Empty;
import dev.dfcache.api.peer.FindParentsRequest;
import dev.dfcache.api.peer.FindParentsResponse;
import dev.dfcache.api.peer.HeartbeatRequest;
import dev.dfcache.api.peer.HeartbeatResponse;
import dev.dfcache.api.peer.ReportBadParentRequest;
import dev.dfcache.api.peer.ReportPiecesRequest;
import dev.dfcache.api.scheduler.AnnounceTaskRequest;
import dev.dfcache.api.scheduler.PeerTarget;
import dev.dfcache.api.scheduler.StatTaskRequest;
import dev.dfcache.api.scheduler.Task;

/** The scheduler.Scheduler and dfcache.PeerScheduler methods, for plain grpc-java callers. */
public final class SchedulerRpc {
  private static final String SCHEDULER = "scheduler.Scheduler";
  private static final String PEER = "dfcache.PeerScheduler";

  public static final UnaryMethod<StatTaskRequest, Task> STAT_TASK =
      UnaryMethod.of(SCHEDULER, "StatTask", StatTaskRequest.getDefaultInstance(), Task.getDefaultInstance());
  public static final UnaryMethod<AnnounceTaskRequest, Empty> ANNOUNCE_TASK =
      UnaryMethod.of(SCHEDULER, "AnnounceTask", AnnounceTaskRequest.getDefaultInstance(), Empty.getDefaultInstance());
  public static final UnaryMethod<PeerTarget, Empty> LEAVE_TASK =
      UnaryMethod.of(SCHEDULER, "LeaveTask", PeerTarget.getDefaultInstance(), Empty.getDefaultInstance());
  public static final UnaryMethod<HeartbeatRequest, HeartbeatResponse> HEARTBEAT =
      UnaryMethod.of(PEER, "Heartbeat", HeartbeatRequest.getDefaultInstance(), HeartbeatResponse.getDefaultInstance());
  public static final UnaryMethod<FindParentsRequest, FindParentsResponse> FIND_PARENTS =
      UnaryMethod.of(PEER, "FindParents", FindParentsRequest.getDefaultInstance(), FindParentsResponse.getDefaultInstance());
  public static final UnaryMethod<ReportPiecesRequest, Empty> REPORT_PIECES =
      UnaryMethod.of(PEER, "ReportPieces", ReportPiecesRequest.getDefaultInstance(), Empty.getDefaultInstance());
  public static final UnaryMethod<ReportBadParentRequest, Empty> REPORT_BAD_PARENT =
      UnaryMethod.of(PEER, "ReportBadParent", ReportBadParentRequest.getDefaultInstance(), Empty.getDefaultInstance());

  private SchedulerRpc() {}
}
