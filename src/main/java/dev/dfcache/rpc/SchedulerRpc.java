package dev.dfcache.rpc;

import com.google.protobuf.Empty;
import dev.dfcache.api.peer.HeartbeatRequest;
import dev.dfcache.api.peer.HeartbeatResponse;
import dev.dfcache.api.peer.DropTaskRequest;
import dev.dfcache.api.peer.ReportBadParentRequest;
import dev.dfcache.api.peer.TaskDeletion;
import dev.dfcache.api.peer.TaskDescription;
import dev.dfcache.api.scheduler.PeerPacket;
import dev.dfcache.api.scheduler.PeerTaskRequest;
import dev.dfcache.api.scheduler.PieceResult;
import dev.dfcache.api.scheduler.RegisterResult;
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
  public static final UnaryMethod<PeerTaskRequest, RegisterResult> REGISTER_PEER_TASK =
      UnaryMethod.of(SCHEDULER, "RegisterPeerTask", PeerTaskRequest.getDefaultInstance(), RegisterResult.getDefaultInstance());
  public static final StreamingMethod<PieceResult, PeerPacket> REPORT_PIECE_RESULT =
      StreamingMethod.of(SCHEDULER, "ReportPieceResult", PieceResult.getDefaultInstance(), PeerPacket.getDefaultInstance());
  public static final UnaryMethod<StatTaskRequest, TaskDescription> DESCRIBE_TASK =
      UnaryMethod.of(PEER, "DescribeTask", StatTaskRequest.getDefaultInstance(), TaskDescription.getDefaultInstance());
  public static final UnaryMethod<ReportBadParentRequest, Empty> REPORT_BAD_PARENT =
      UnaryMethod.of(PEER, "ReportBadParent", ReportBadParentRequest.getDefaultInstance(), Empty.getDefaultInstance());

  public static final UnaryMethod<DropTaskRequest, Empty> DROP_TASK =
      UnaryMethod.of(PEER, "DropTask", DropTaskRequest.getDefaultInstance(), Empty.getDefaultInstance());
  public static final UnaryMethod<StatTaskRequest, TaskDeletion> IS_DELETED =
      UnaryMethod.of(PEER, "IsDeleted", StatTaskRequest.getDefaultInstance(), TaskDeletion.getDefaultInstance());
  public static final UnaryMethod<dev.dfcache.api.peer.TaskPageRequest,
      dev.dfcache.api.peer.TaskPage> LIST_TASKS = UnaryMethod.of(PEER, "ListTasks",
          dev.dfcache.api.peer.TaskPageRequest.getDefaultInstance(),
          dev.dfcache.api.peer.TaskPage.getDefaultInstance());
  public static final UnaryMethod<StatTaskRequest, dev.dfcache.api.peer.TaskSummary> GET_TASK =
      UnaryMethod.of(PEER, "GetTask", StatTaskRequest.getDefaultInstance(),
          dev.dfcache.api.peer.TaskSummary.getDefaultInstance());
  /** On daemons: a scheduler's hint that a task was deleted. */
  public static final UnaryMethod<StatTaskRequest, Empty> TASK_DROPPED =
      UnaryMethod.of("dfcache.PeerDaemon", "TaskDropped", StatTaskRequest.getDefaultInstance(), Empty.getDefaultInstance());

  /** On daemons: the scheduler asks for a replica. */
  public static final UnaryMethod<dev.dfcache.api.peer.ReplicateRequest, Empty> REPLICATE =
      UnaryMethod.of("dfcache.PeerDaemon", "Replicate",
          dev.dfcache.api.peer.ReplicateRequest.getDefaultInstance(), Empty.getDefaultInstance());

  private SchedulerRpc() {}
}
