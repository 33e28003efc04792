package dev.dfcache.scheduler;

import static dev.dfcache.common.GrpcErrors.guard;

import com.google.protobuf.Empty;
import dev.dfcache.api.common.Code;
import dev.dfcache.api.common.PieceInfo;
import dev.dfcache.api.common.PiecePacket;
import dev.dfcache.api.common.TaskType;
import dev.dfcache.api.common.UrlMeta;
import dev.dfcache.api.peer.HeartbeatRequest;
import dev.dfcache.api.peer.TaskDescription;
import dev.dfcache.api.scheduler.PeerPacket;
import dev.dfcache.api.scheduler.PeerResult;
import dev.dfcache.api.scheduler.PeerTaskRequest;
import dev.dfcache.api.scheduler.PieceResult;
import dev.dfcache.api.scheduler.RegisterResult;
import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.javadsl.Source;
import dev.dfcache.api.peer.HeartbeatResponse;
import dev.dfcache.api.peer.PeerSchedulerPowerApi;
import dev.dfcache.api.peer.DropTaskRequest;
import dev.dfcache.api.peer.ReportBadParentRequest;
import dev.dfcache.api.peer.TaskDeletion;
import dev.dfcache.api.peer.TaskPageRequest;
import dev.dfcache.api.peer.TaskPage;
import dev.dfcache.api.peer.TaskSummary;
import dev.dfcache.api.scheduler.AnnounceTaskRequest;
import dev.dfcache.api.scheduler.PeerHost;
import dev.dfcache.api.scheduler.PeerTarget;
import dev.dfcache.api.scheduler.SchedulerPowerApi;
import org.apache.pekko.grpc.javadsl.Metadata;
import dev.dfcache.api.scheduler.StatTaskRequest;
import dev.dfcache.api.scheduler.Task;
import dev.dfcache.common.ContentDigest;
import dev.dfcache.common.DfException;
import dev.dfcache.common.Digests;
import dev.dfcache.common.PeerEndpoint;
import dev.dfcache.common.PieceLayout;
import dev.dfcache.common.TaskIds;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;

/**
 * The scheduler's gRPC front, served by every scheduler node: checks requests, then forwards each
 * to the task's entity wherever sharding placed it. Holds no task state of its own.
 *
 * <p>Each call carries its caller's {@link PeerIdentity} (from the request's metadata, stamped by
 * the server from the TLS session): a call naming a peer host is checked here against the
 * advertised address; a call naming only a peer id is checked by the entity, which knows where
 * that peer was recorded. Refusals are PermissionDenied (1403).
 */
public final class SchedulerService implements SchedulerPowerApi, PeerSchedulerPowerApi {
  private final ClusterSharding sharding;
  private final ActorRef<HostRegistry.Command> hosts;
  private final FleetGeneration generation;
  private final FleetActivity activity;
  private final Duration askTimeout;
  private final ReportStreams reportStreams;
  private final PeerIdentityHeader identities;
  private final DaemonCalls holders;
  private final FleetTaskListing listing;
  /** Where a deletion goes that some holder missed, so that it outlives this node. */
  private final DeletionLog.Mirror deletionLog;
  /** After a fleet change, how long "unknown task" is asked again before it is believed. */
  static final Duration SETTLING = Duration.ofSeconds(15);
  private static final Empty EMPTY = Empty.getDefaultInstance();

  public SchedulerService(ActorSystem<?> system, ActorRef<HostRegistry.Command> hosts,
      FleetGeneration generation, FleetActivity activity, Duration askTimeout,
      PeerIdentityHeader identities, DaemonCalls holders) {
    this.sharding = ClusterSharding.get(system);
    this.hosts = hosts;
    this.generation = generation;
    this.activity = activity;
    this.askTimeout = askTimeout;
    this.reportStreams = new ReportStreams(sharding, system);
    this.identities = identities;
    this.holders = holders;
    this.listing = new FleetTaskListing(system, askTimeout);
    this.deletionLog = DeletionLog.Mirror.get(system);
  }

  CompletionStage<TaskEntity.Reply> ask(String taskId,
      Function<ActorRef<TaskEntity.Reply>, TaskEntity.Command> message) {
    return sharding.entityRefFor(TaskEntity.TYPE_KEY, taskId).ask(message::apply, askTimeout);
  }

  /**
   * An ask whose "unknown task" is asked again a few times while the fleet is settling: a task
   * whose shard just moved may answer before its state has arrived from its previous node.
   */
  private CompletionStage<TaskEntity.Reply> askSettled(String taskId,
      Function<ActorRef<TaskEntity.Reply>, TaskEntity.Command> message, int retries) {
    return ask(taskId, message).thenCompose(reply -> {
      if (!(reply instanceof TaskEntity.Unknown) || retries <= 0
          || !activity.changedWithin(SETTLING)) {
        return java.util.concurrent.CompletableFuture.completedFuture(reply);
      }
      return java.util.concurrent.CompletableFuture.supplyAsync(() -> null,
              java.util.concurrent.CompletableFuture.delayedExecutor(250,
                  java.util.concurrent.TimeUnit.MILLISECONDS))
          .thenCompose(ignored -> askSettled(taskId, message, retries - 1));
    });
  }

  @Override
  public CompletionStage<Task> statTask(StatTaskRequest in, Metadata metadata) {
    return guard(() -> {
      String taskId = TaskIds.requireValidTaskId(in.getTaskId());
      return askSettled(taskId, TaskEntity.Stat::new, 4).thenApply(reply -> {
        if (reply instanceof TaskEntity.Status s) {
          return Task.newBuilder()
              .setId(taskId)
              .setTypeValue(s.info().taskType())
              .setContentLength(s.info().contentLength())
              .setTotalPieceCount(s.info().totalPieces())
              .setState(s.state())
              .setPeerCount(s.peerCount())
              .setHasAvailablePeer(s.hasAvailablePeer())
              .setReplicaCount(s.replicaCount())
              .setReplicasHeld(s.replicasHeld())
              .setExpiresAt(s.info().expiresAtMillis())
              .build();
        }
        throw unexpected(taskId, reply);
      });
    });
  }

  @Override
  public CompletionStage<Empty> announceTask(AnnounceTaskRequest in, Metadata metadata) {
    return guard(() -> {
      String taskId = TaskIds.requireValidTaskId(in.getTaskId());
      PeerIdentity caller = identities.of(metadata);
      PeerEndpoint peer = permitted(caller, checkedPeer(in.getPeerHost()));
      boolean urlNamesTask = announcedUrlNames(taskId, in.getUrl(), in.getUrlMeta());
      TaskInfo info = taskInfoOf(taskId, in.getPiecePacket(), in.getTaskTypeValue(),
          Math.max(0, in.getExpiresAt()), urlNamesTask ? in.getUrl() : "",
          urlNamesTask ? in.getUrlMeta().getTag() : "");
      boolean contentAddressed = urlNamesTask
          && ContentDigest.namedBy(in.getUrl(), in.getUrlMeta().getDigest()).isPresent();
      hosts.tell(new HostRegistry.Beat(peer.id(), peer.ip(), peer.rpcPort()));
      return ask(taskId,
              replyTo -> new TaskEntity.Announce(info, peer, caller, in.getFresh(),
                  in.getReplicaCount() > 1 ? new Replication(in.getReplicaCount(), in.getUrl(),
                      in.getUrlMeta().toByteArray()) : null, contentAddressed, replyTo))
          .thenApply(reply -> ack(taskId, reply));
    });
  }

  @Override
  public CompletionStage<Empty> leaveTask(PeerTarget in, Metadata metadata) {
    return guard(() -> {
      String taskId = TaskIds.requireValidTaskId(in.getTaskId());
      if (in.getPeerId().isBlank()) {
        throw DfException.badRequest("peer id must not be empty");
      }
      PeerIdentity caller = identities.of(metadata);
      return ask(taskId, replyTo -> new TaskEntity.Leave(in.getPeerId(), caller, replyTo))
          .thenApply(reply -> ack(taskId, reply));
    });
  }

  @Override
  public CompletionStage<HeartbeatResponse> heartbeat(HeartbeatRequest in, Metadata metadata) {
    return guard(() -> {
      PeerEndpoint peer = permitted(identities.of(metadata), checkedPeer(in.getHost()));
      hosts.tell(new HostRegistry.Beat(peer.id(), peer.ip(), peer.rpcPort(),
          Math.max(0, in.getUploadLimit()),
          Math.max(0, in.getActiveUploads()),
          in.hasCacheFreeBytes() ? Math.max(0, in.getCacheFreeBytes()) : -1,
          peer.idc(), peer.location()));
      return java.util.concurrent.CompletableFuture.completedFuture(
          HeartbeatResponse.newBuilder().setGeneration(generation.current()).build());
    });
  }

  @Override
  public CompletionStage<RegisterResult> registerPeerTask(PeerTaskRequest in, Metadata metadata) {
    return guard(() -> {
      String taskId = registeredTaskId(in);
      PeerIdentity caller = identities.of(metadata);
      PeerEndpoint host = permitted(caller, checkedPeer(in.getPeerHost()));
      // A stock Dragonfly v1 peer names its download "<ip>-<pid>-<uuid>" and its host apart; a
      // dfcache daemon uses its host id for both. The identity check is on the host's address.
      PeerEndpoint peer = in.getPeerId().isEmpty() ? host : host.withId(checkedPeerId(in.getPeerId()));
      List<String> refused = checkedSigns(in.getRefusedSignsList());
      String sign = in.getPieceMd5Sign().isEmpty() ? "" : checkedSign(in.getPieceMd5Sign());
      boolean contentAddressed = !in.getUrl().isEmpty()
          && announcedUrlNames(taskId, in.getUrl(), in.getUrlMeta())
          && ContentDigest.namedBy(in.getUrl(), in.getUrlMeta().getDigest()).isPresent();
      hosts.tell(new HostRegistry.Beat(host.id(), host.ip(), host.rpcPort()));
      return askSettled(taskId, replyTo -> new TaskEntity.Register(peer, host.id(), caller,
              contentAddressed, refused, sign, replyTo), 4)
          .thenApply(reply -> {
            if (reply instanceof TaskEntity.Registered r) {
              return RegisterResults.of(taskId, r);
            }
            throw unexpected(taskId, reply);
          });
    });
  }

  /** Longest peer id taken (Dragonfly's are "ip-pid-uuid", some 60 characters). */
  static final int MAX_PEER_ID = 256;
  /** Most refused signs a registration may list. */
  static final int MAX_REFUSED_SIGNS = 16;

  static String checkedPeerId(String peerId) {
    if (peerId.isBlank() || peerId.length() > MAX_PEER_ID
        || !peerId.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
      throw DfException.badRequest("peer_id must be 1.." + MAX_PEER_ID
          + " printable ASCII characters without spaces");
    }
    return peerId;
  }

  static List<String> checkedSigns(List<String> signs) {
    if (signs.size() > MAX_REFUSED_SIGNS) {
      throw DfException.badRequest("at most " + MAX_REFUSED_SIGNS + " refused signs");
    }
    for (String sign : signs) {
      checkedSign(sign);
    }
    return List.copyOf(signs);
  }

  /** A piece-list sign: the hex SHA-256 of the piece digests. */
  static String checkedSign(String sign) {
    if (!TaskIds.isValidTaskId(sign)) { // same shape: 64 lowercase hex
      throw DfException.badRequest("piece_md5_sign must be 64 lowercase hex characters");
    }
    return sign;
  }

  /** The task id a registration names: task_id if given (checked), else derived from the url. */
  private static String registeredTaskId(PeerTaskRequest in) {
    if (!in.getTaskId().isEmpty()) {
      return TaskIds.requireValidTaskId(in.getTaskId());
    }
    if (in.getUrl().isEmpty()) {
      throw DfException.badRequest("task_id or url is required");
    }
    return TaskIds.validatedTaskId(in.getUrl(), in.getUrlMeta());
  }

  @Override
  public Source<PeerPacket, NotUsed> reportPieceResult(Source<PieceResult, NotUsed> in,
      Metadata metadata) {
    return reportStreams.open(in, identities.of(metadata));
  }

  @Override
  public CompletionStage<Empty> reportPeerResult(PeerResult in, Metadata metadata) {
    return guard(() -> {
      String taskId = TaskIds.requireValidTaskId(in.getTaskId());
      if (in.getPeerId().isBlank()) {
        throw DfException.badRequest("peer id must not be empty");
      }
      PeerIdentity caller = identities.of(metadata);
      return ask(taskId, replyTo ->
          new TaskEntity.PeerFinished(in.getPeerId(), in.getSuccess(), caller, replyTo))
          .thenApply(reply -> ack(taskId, reply));
    });
  }

  @Override
  public CompletionStage<TaskDescription> describeTask(StatTaskRequest in, Metadata metadata) {
    return guard(() -> {
      String taskId = TaskIds.requireValidTaskId(in.getTaskId());
      String sign = in.getPieceMd5Sign().isEmpty() ? "" : checkedSign(in.getPieceMd5Sign());
      return askSettled(taskId, replyTo -> new TaskEntity.Stat(sign, replyTo), 4)
          .thenApply(reply -> {
            if (reply instanceof TaskEntity.Status s) {
              TaskInfo info = s.info();
              return TaskDescription.newBuilder()
                  .setTaskId(taskId)
                  .setContentLength(info.contentLength())
                  .setTotalPieceCount(info.totalPieces())
                  .setPieceSize(info.pieceSize())
                  .setPieceMd5Sign(info.pieceListSign())
                  .setTaskTypeValue(info.taskType())
                  .setExpiresAt(info.expiresAtMillis())
                  .build();
            }
            throw unexpected(taskId, reply);
          });
    });
  }

  @Override
  public CompletionStage<Empty> reportBadParent(ReportBadParentRequest in, Metadata metadata) {
    return guard(() -> {
      String taskId = TaskIds.requireValidTaskId(in.getTaskId());
      if (in.getBadPeerId().isBlank()) {
        throw DfException.badRequest("bad peer id must not be empty");
      }
      String sign = in.getPieceMd5Sign().isEmpty() ? "" : checkedSign(in.getPieceMd5Sign());
      PeerIdentity caller = identities.of(metadata);
      return ask(taskId, replyTo -> new TaskEntity.ReportBadParent(in.getBadPeerId(),
          in.getReporterPeerId(), sign, caller, replyTo))
          .thenApply(reply -> ack(taskId, reply));
    });
  }

  /**
   * Deletes the task from the network: any daemon may ask (its users may delete any task, as on
   * their own node); the entity forgets the task and the holders are told.
   */
  @Override
  public CompletionStage<Empty> dropTask(DropTaskRequest in, Metadata metadata) {
    return guard(() -> {
      String taskId = TaskIds.requireValidTaskId(in.getTaskId());
      return askSettled(taskId, replyTo -> new TaskEntity.Drop(in.getPeerId(), replyTo), 0)
          .thenApply(reply -> {
            if (reply instanceof TaskEntity.Dropped d) {
              holders.taskDeleted(taskId, d.holders(),
                  () -> deletionLog.record(taskId, d.deletedAtMillis()));
              return EMPTY;
            }
            throw unexpected(taskId, reply);
          });
    });
  }

  @Override
  public CompletionStage<TaskPage> listTasks(TaskPageRequest in, Metadata metadata) {
    return guard(() -> {
      int size = FleetTaskListing.pageSize(in.getPageSize());
      String after = in.getPageToken();
      if (!after.isEmpty()) {
        TaskIds.requireValidTaskId(after); // tokens are task ids
      }
      return listing.page(after, size, in.getWithHolders());
    });
  }

  @Override
  public CompletionStage<TaskSummary> getTask(StatTaskRequest in, Metadata metadata) {
    return guard(() -> {
      String taskId = TaskIds.requireValidTaskId(in.getTaskId());
      return askSettled(taskId, TaskEntity.Describe::new, 4).thenApply(reply -> {
        if (reply instanceof TaskEntity.Described d) {
          return FleetTaskListing.describedOf(taskId, d);
        }
        throw unexpected(taskId, reply);
      });
    });
  }

  @Override
  public CompletionStage<TaskDeletion> isDeleted(StatTaskRequest in, Metadata metadata) {
    return guard(() -> {
      String taskId = TaskIds.requireValidTaskId(in.getTaskId());
      return ask(taskId, TaskEntity.AskDeleted::new).thenApply(reply -> {
        if (reply instanceof TaskEntity.Deletion d) {
          return TaskDeletion.newBuilder().setDeleted(d.deleted()).build();
        }
        throw unexpected(taskId, reply);
      });
    });
  }

  private static Empty ack(String taskId, TaskEntity.Reply reply) {
    if (reply instanceof TaskEntity.Ack) {
      return EMPTY;
    }
    throw unexpected(taskId, reply);
  }

  private static DfException unexpected(String taskId, TaskEntity.Reply reply) {
    if (reply instanceof TaskEntity.Unknown) {
      return DfException.notFound("task " + taskId + " not found");
    }
    if (reply instanceof TaskEntity.Rejected r) {
      Code code = Code.forNumber(r.code());
      return new DfException(code == null ? Code.SchedError : code, r.message());
    }
    return new DfException(Code.SchedError, "unexpected reply " + reply);
  }

  /** The peer, if the caller may act for it (its certificate names the peer's address). */
  static PeerEndpoint permitted(PeerIdentity caller, PeerEndpoint peer) {
    if (!caller.mayActFor(peer.ip())) {
      throw DfException.permissionDenied(caller.describe() + " may not act for a peer at "
          + peer.ip() + ": a daemon's certificate must name the address it advertises");
    }
    return peer;
  }

  static PeerEndpoint checkedPeer(PeerHost host) {
    if (host.getId().isBlank() || host.getIp().isBlank()) {
      throw DfException.badRequest("peer host id and ip are required");
    }
    if (host.getRpcPort() <= 0 || host.getRpcPort() > 65535 || host.getDownPort() <= 0
        || host.getDownPort() > 65535) {
      throw DfException.badRequest("peer host ports must be within 1..65535");
    }
    return PeerEndpoint.fromProto(host);
  }

  /**
   * Checks an announced piece list (complete, contiguous, consistent sizes) and reduces it to
   * what the scheduler keeps: the sizes and the sign of the list.
   */
  static TaskInfo taskInfoOf(String taskId, PiecePacket packet, int taskType,
      long expiresAtMillis, String url, String tag) {
    long length = packet.getContentLength();
    if (length < 0) {
      throw DfException.badRequest("content length must not be negative");
    }
    List<PieceInfo> pieces = new ArrayList<>(packet.getPieceInfosList());
    pieces.sort(Comparator.comparingInt(PieceInfo::getPieceNum));
    long pieceSize = pieces.isEmpty() ? PieceLayout.pieceSizeFor(length) : pieces.get(0).getRangeSize();
    if (pieceSize <= 0) {
      throw DfException.badRequest("piece size must be positive");
    }
    PieceLayout layout = new PieceLayout(length, pieceSize);
    if (pieces.size() != layout.pieceCount()
        || (packet.getTotalPiece() != 0 && packet.getTotalPiece() != pieces.size())) {
      throw DfException.badRequest("task " + taskId + ": announce must list all "
          + layout.pieceCount() + " pieces, got " + pieces.size());
    }
    List<String> digests = new ArrayList<>(pieces.size());
    for (int i = 0; i < pieces.size(); i++) {
      PieceInfo p = pieces.get(i);
      if (p.getPieceNum() != i || p.getRangeStart() != layout.offsetOf(i)
          || p.getRangeSize() != layout.sizeOf(i) || p.getPieceMd5().isEmpty()) {
        throw DfException.badRequest("task " + taskId + ": piece " + i + " is inconsistent");
      }
      digests.add(p.getPieceMd5());
    }
    String sign = Digests.pieceListSign(digests);
    if (!packet.getPieceMd5Sign().isEmpty() && !packet.getPieceMd5Sign().equals(sign)) {
      throw DfException.badRequest("task " + taskId + ": piece_md5_sign does not match the pieces");
    }
    int type = TaskType.forNumber(taskType) == null ? TaskType.DfCache_VALUE : taskType;
    return new TaskInfo(length, pieces.size(), pieceSize, sign, type,
        digests.size() == 1 ? digests.get(0) : "", expiresAtMillis, url, tag);
  }

  /**
   * Whether an announce's url and url meta give its task id: only then are they shown in
   * listings as the task's cid and tag (the task id alone decides what the task is).
   */
  static boolean announcedUrlNames(String taskId, String url, UrlMeta meta) {
    if (url.isEmpty()) {
      return false;
    }
    try {
      return TaskIds.taskId(url, meta).equals(taskId);
    } catch (RuntimeException e) {
      return false;
    }
  }
}
