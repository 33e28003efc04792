package dev.dfcache.scheduler;

import dev.dfcache.api.common.Code;
import dev.dfcache.cluster.CborSerializable;
import dev.dfcache.common.PeerEndpoint;
import dev.dfcache.common.PieceMarks;
import dev.dfcache.metrics.SchedulerMetrics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityContext;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;

/**
 * One task, as a sharded entity (entity id = task id): which peers hold which of its pieces, and
 * for each peer downloading it, the parents it was given. A downloading peer's report stream
 * (ReportPieceResult) is an actor ref here: the entity pushes it new parents whenever its choice
 * changes: when the download begins, when a peer gets its first pieces (a new parent for the
 * others), when a complete holder appears, and when a parent fails or leaves.
 *
 * <p>The state is soft: the peers hold the truth and re-announce it when the task moves. On a
 * graceful hand-off (rebalance or a node leaving) the entity sends its pieces state to its next
 * incarnation ({@link TaskHandoff}); report streams re-attach with their next piece report.
 */
public final class TaskEntity extends AbstractBehavior<TaskEntity.Command> {

  public static final EntityTypeKey<Command> TYPE_KEY = EntityTypeKey.create(Command.class, "Task");

  public sealed interface Command extends CborSerializable {}

  /*
   * Every command that acts for a peer carries its caller's identity: the service has checked a
   * peer host it names, the entity checks that an existing peer id is the caller's (recorded at
   * an address the caller's certificate names), so no one can take over another host's entry.
   */

  /**
   * A peer holds the whole task. {@code contentAddressed}: the announce's url names the task id
   * and a digest ({@link TaskSigns}).
   */
  public record Announce(TaskInfo info, PeerEndpoint peer, PeerIdentity caller, boolean fresh,
      Replication replication, boolean contentAddressed, ActorRef<Reply> replyTo)
      implements Command {}

  /**
   * A peer wants to download the task (RegisterPeerTask): answered with {@link Registered}.
   * {@code peer.id()} is the peer id, {@code hostId} its host's (the same for a dfcache daemon;
   * a stock Dragonfly v1 peer has ids "ip-pid-uuid" of its own): liveness is the host's.
   * {@code refusedSigns}: holder groups whose content the peer found wrong; {@code sign}: the
   * group its download follows ("" = any).
   */
  public record Register(PeerEndpoint peer, String hostId, PeerIdentity caller,
      boolean contentAddressed, List<String> refusedSigns, String sign, ActorRef<Reply> replyTo)
      implements Command {}

  /**
   * One message of a peer's report stream: a piece it got (or failed to get) from a parent, or
   * the begin/end marks ({@link PieceMarks}). {@code packets} is where the stream takes new
   * parents; every report carries it, so a stream re-attaches to a new incarnation of the task.
   */
  public record PieceReported(String peerId, int piece, String parentId, boolean success,
      int code, long costMs, PeerIdentity caller, ActorRef<PacketUpdate> packets)
      implements Command {}

  /** A peer's report stream closed. */
  public record ReportsEnded(String peerId, ActorRef<PacketUpdate> packets) implements Command {}

  /** ReportPeerResult: the download ended, with the whole task or not. */
  public record PeerFinished(String peerId, boolean success, PeerIdentity caller,
      ActorRef<Reply> replyTo) implements Command {}

  /**
   * A peer got bad data from a parent (see {@link BadParentReports}); with a {@code sign}, the
   * whole holder group of that sign does not make the task's named content ({@link TaskSigns}).
   */
  public record ReportBadParent(String badPeerId, String reporterId, String sign,
      PeerIdentity caller, ActorRef<Reply> replyTo) implements Command {}

  public record Leave(String peerId, PeerIdentity caller, ActorRef<Reply> replyTo)
      implements Command {}

  /** Answered with the {@link Status} of the holder group {@code sign} ("" = the preferred). */
  public record Stat(String sign, ActorRef<Reply> replyTo) implements Command {
    public Stat(ActorRef<Reply> replyTo) {
      this("", replyTo);
    }
  }

  /** Stat plus who holds what (for the manager's console): answered with {@link Described}. */
  public record Describe(ActorRef<Reply> replyTo) implements Command {}

  /**
   * Delete the task from the network: answered with {@link Dropped}, the holders to tell. The
   * deletion is remembered for the deletion memory, so that a holder that was down drops its copy
   * when it announces it again.
   */
  public record Drop(String requesterId, ActorRef<Reply> replyTo) implements Command {}

  /** Answered with {@link Deletion}. */
  public record AskDeleted(ActorRef<Reply> replyTo) implements Command {}

  /** The deletion memory ran out. */
  private record ForgetDeletion(long deletedAtMillis) implements Command {}

  /** Hosts whose heartbeats stopped long ago: no longer peers of this task. */
  public record ForgetPeers(java.util.Set<String> hostIds) implements Command {}

  /** Time to see whether the task has its replicas. */
  private enum ReplicaCheck implements Command { INSTANCE }

  /** How often a task with a replica target counts its copies. */
  static final Duration REPLICA_CHECK = Duration.ofSeconds(3);

  /** The TTL set at import ran out (if the task still expires then). */
  private record Expire(long expiresAtMillis) implements Command {}

  /** The state of this task's previous incarnation, handed over through sharding. */
  public record RestoreState(TaskInfo info, List<PeerSnapshot> peers, long deletedAtMillis,
      Replication replication, TaskSigns.Snapshot signs) implements Command {}

  /** Sent by sharding instead of PoisonPill when the shard hands off. */
  public record HandOff() implements Command {}

  /** {@code sign}, {@code hostId}: null from an older node (the task's sign, the peer id). */
  public record PeerSnapshot(PeerEndpoint peer, long[] pieces, boolean done, String sign,
      String hostId) implements CborSerializable {}

  public sealed interface Reply extends CborSerializable {}

  public record Ack(boolean ok) implements Reply {}

  public record Unknown(String taskId) implements Reply {}

  public record Rejected(int code, String message) implements Reply {}

  /**
   * What stat tells: {@code replicaCount} copies wanted (0 = no target), {@code replicasHeld}
   * live complete copies there are.
   */
  public record Status(TaskInfo info, String state, int peerCount, boolean hasAvailablePeer,
      int replicaCount, int replicasHeld) implements Reply {}

  /** A peer of the task as a description shows it: how many pieces it has, all or not. */
  public record Holder(PeerEndpoint peer, int pieces, boolean done) implements CborSerializable {}

  /** The answer to {@link Describe}. */
  public record Described(Status status, List<Holder> holders) implements Reply {}

  /**
   * A peer registered to download. {@code singlePieceHolder}: for a task of one piece, a live
   * complete holder to fetch it from directly (RegisterResult SMALL), else null.
   */
  public record Registered(TaskInfo info, PeerEndpoint singlePieceHolder) implements Reply {}

  /** The task is deleted (then); these peers held it (the requester excepted). */
  public record Dropped(List<PeerEndpoint> holders, long deletedAtMillis) implements Reply {}

  public record Deletion(boolean deleted) implements Reply {}

  /** What a report stream is told. */
  public sealed interface PacketUpdate extends CborSerializable {}

  /** The parents to use now, best (the main peer) first; never empty. */
  public record NewParents(List<PeerEndpoint> parents) implements PacketUpdate {}

  /** Scheduling cannot go on: code SchedPeerNotFound means "register again". */
  public record ScheduleFailed(int code, String message) implements PacketUpdate {}

  /** A peer as this entity tracks it. */
  private static final class PeerState {
    PeerEndpoint endpoint;
    /** The host whose heartbeats keep it alive (its peer id for a dfcache daemon). */
    String hostId;
    /** The holder group (piece-list sign) it holds or downloads. */
    String sign;
    final BitSet pieces;
    boolean done;
    /** Registered to download and not announced since. */
    boolean downloading;
    /** How it serves this task's children; null until it served or failed a piece. */
    ParentRecord asParent;
    /** Its own download's report stream; null when it has none open. */
    ChildStream asChild;

    PeerState(PeerEndpoint endpoint, String hostId, String sign, BitSet pieces, boolean done) {
      this.endpoint = endpoint;
      this.hostId = hostId;
      this.sign = sign;
      this.pieces = pieces;
      this.done = done;
    }

    PeerSnapshot snapshot() {
      return new PeerSnapshot(endpoint, pieces.toLongArray(), done, sign, hostId);
    }

    String id() {
      return endpoint.id();
    }
  }

  /** Recent piece cost (ms, moving average) and failures of a peer as a parent. */
  private static final class ParentRecord {
    double costMs = -1;
    int failures;
  }

  private static final class ChildStream {
    final ActorRef<PacketUpdate> packets;
    List<String> parents = List.of();
    /** Failures this child reported per parent; two make the parent blocked for it. */
    Map<String, Integer> failuresBy = Map.of();

    ChildStream(ActorRef<PacketUpdate> packets) {
      this.packets = packets;
    }

    boolean blocked(String parentId) {
      return failuresBy.getOrDefault(parentId, 0) >= 2;
    }
  }

  private final String taskId;
  private final HostLiveness liveness;
  private final TaskHandoff handoff;
  private final SchedulerTunables tunables;
  private final ActorRef<ClusterSharding.ShardCommand> shard;
  /** This node's gauge of peers recorded by its tasks; kept equal to the sum of peers.size(). */
  private final io.prometheus.metrics.core.metrics.Gauge peerGauge;
  /** The preferred holder group's info ({@link TaskSigns#preferred}); null = task unknown. */
  private TaskInfo info;
  /** The task's holder groups, one per announced content. */
  private final TaskSigns signs;
  /** Most tasks have one or two peers: a small table, not the default 16 slots. */
  private final Map<String, PeerState> peers = new LinkedHashMap<>(4);
  /** Peers reported serving corrupt data for this task; null until the first report. */
  private BadParentReports badParents;
  /** When the task was deleted from the network (0 = it was not, or was imported since). */
  private long deletedAtMillis;
  private final Duration deletionMemory;
  private final DaemonCalls daemons;
  private final DeletionLog.Mirror deletionLog;
  private final ReplicaKeeper replicas;
  private boolean replicaCheckScheduled;

  public static Behavior<Command> create(EntityContext<Command> entityContext,
      TaskHandoff handoff, SchedulerTunables tunables, Duration deletionMemory,
      DaemonCalls daemons) {
    return Behaviors.setup(ctx ->
        new TaskEntity(ctx, entityContext, handoff, tunables, deletionMemory, daemons));
  }

  private TaskEntity(ActorContext<Command> ctx, EntityContext<Command> entityContext,
      TaskHandoff handoff, SchedulerTunables tunables, Duration deletionMemory,
      DaemonCalls daemons) {
    super(ctx);
    this.daemons = daemons;
    this.replicas = new ReplicaKeeper(entityContext.getEntityId(), daemons);
    this.taskId = entityContext.getEntityId();
    this.shard = entityContext.getShard();
    this.liveness = HostLiveness.get(ctx.getSystem());
    this.handoff = handoff;
    this.tunables = tunables;
    this.deletionMemory = deletionMemory;
    this.peerGauge = SchedulerMetrics.get(ctx.getSystem()).taskPeers;
    this.deletionLog = DeletionLog.Mirror.get(ctx.getSystem());
    this.signs = new TaskSigns(tunables.selection().badParentReporters());
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Announce.class, this::onAnnounce)
        .onMessage(Register.class, this::onRegister)
        .onMessage(PieceReported.class, this::onPieceReported)
        .onMessage(ReportsEnded.class, this::onReportsEnded)
        .onMessage(PeerFinished.class, this::onPeerFinished)
        .onMessage(ReportBadParent.class, this::onReportBadParent)
        .onMessage(Leave.class, this::onLeave)
        .onMessage(Stat.class, this::onStat)
        .onMessage(Describe.class, this::onDescribe)
        .onMessage(Drop.class, this::onDrop)
        .onMessage(AskDeleted.class, m -> {
          recallDeletion();
          m.replyTo().tell(new Deletion(deletedAtMillis > 0));
          return passivateIfEmpty();
        })
        .onMessage(ForgetDeletion.class, this::onForgetDeletion)
        .onMessage(Expire.class, this::onExpire)
        .onMessage(ReplicaCheck.class, m -> {
          replicaCheckScheduled = false;
          keepReplicas();
          return passivateIfEmpty();
        })
        .onMessage(ForgetPeers.class, m -> {
          List<String> gone = peers.values().stream()
              .filter(p -> m.hostIds().contains(p.hostId)).map(PeerState::id).toList();
          for (String id : gone) {
            remove(id);
          }
          // the sweep lists entities and then tells them: one that went in between is started
          // again by the message, and must not stay
          return passivateIfEmpty();
        })
        .onMessage(RestoreState.class, this::onRestore)
        .onMessage(HandOff.class, m -> onHandOff())
        .onSignal(PostStop.class, s -> {
          peerGauge.dec(peers.size());
          return this;
        })
        .build();
  }

  private Behavior<Command> onAnnounce(Announce m) {
    if (refusedTakeover(m.peer(), m.caller(), m.replyTo())) {
      return this;
    }
    if (!m.fresh()) {
      recallDeletion();
    }
    if (deletedAtMillis > 0) {
      if (!m.fresh()) {
        m.replyTo().tell(new Rejected(Code.TaskDeleted.getNumber(), "task " + taskId
            + " was deleted from the network: drop this copy"));
        return this;
      }
      deletedAtMillis = 0; // imported again after the delete
    }
    if (m.fresh()) {
      deletionLog.undo(taskId);
    }
    if (m.info().expiredAt(System.currentTimeMillis())) {
      m.replyTo().tell(new Rejected(Code.TaskDeleted.getNumber(), "task " + taskId
          + " expired (its TTL ran out): drop this copy"));
      return this;
    }
    if (m.contentAddressed()) {
      signs.markContentAddressed();
    }
    String sign = m.info().pieceListSign();
    if (signs.contentAddressed()) {
      String refusal = signs.refusal(sign, m.peer().id(), System.currentTimeMillis());
      if (refusal != null) {
        m.replyTo().tell(new Rejected(Code.BadRequest.getNumber(), "task " + taskId + ": "
            + refusal + ": announces refused for a while"));
        return this;
      }
    }
    TaskInfo group = signs.info(sign);
    if (group != null && !group.sameContentAs(m.info())) {
      m.replyTo().tell(new Rejected(Code.BadRequest.getNumber(),
          "task " + taskId + ": piece-list sign " + sign + " with another content length"));
      return this;
    }
    if (group == null && !signs.isEmpty() && !signs.contentAddressed()) {
      // No digest decides between contents: the first live holder's stands.
      if (hasLiveHolder()) {
        m.replyTo().tell(new Rejected(Code.BadRequest.getNumber(),
            "task " + taskId + " is already held by other peers with different content"));
        return this;
      }
      // Nobody alive holds the old content: the new announce defines the task.
      peerGauge.dec(peers.size());
      peers.clear();
      badParents = null;
      signs.clear();
    }
    TaskInfo announced = group == null ? m.info() : group.expiryAfter(m.info(), m.fresh());
    signs.put(announced);
    if (group == null || announced.expiresAtMillis() != group.expiresAtMillis()) {
      expireOnTime(announced);
    }
    info = signs.preferred();
    BitSet all = new BitSet(announced.totalPieces());
    all.set(0, announced.totalPieces());
    PeerState p = peers.get(m.peer().id());
    if (p != null && p.downloading && sign.equals(p.sign)) {
      // it registered to download this group and now holds it: a dfcache daemon keeps a
      // download only when its bytes match the task's digest
      signs.confirm(sign);
    }
    if (p != null && !sign.equals(p.sign)) {
      // the peer now holds other content than it had: what it had is gone
      p.pieces.clear();
      p.done = false;
      p.sign = sign;
      rescheduleChildrenOf(p.id());
    }
    p = upsert(m.peer(), m.peer().id(), sign, all, true);
    p.downloading = false;
    if (badParents != null) {
      badParents.forget(m.peer().id());
    }
    replicas.offer(m.replication(), m.fresh());
    keepReplicas();
    m.replyTo().tell(new Ack(true));
    rescheduleOthers(p, false);
    return this;
  }

  private Behavior<Command> onRegister(Register m) {
    if (info == null) {
      return unknown(m.replyTo());
    }
    if (refusedTakeover(m.peer(), m.caller(), m.replyTo())) {
      return this;
    }
    if (m.contentAddressed()) {
      signs.markContentAddressed();
    }
    if (!m.sign().isEmpty() && !signs.has(m.sign())) {
      m.replyTo().tell(new Rejected(Code.PeerTaskNotFound.getNumber(), "task " + taskId
          + ": no peer holds the content with piece-list sign " + m.sign() + " any more"));
      return this;
    }
    // The refused signs matter only where a digest decides between contents.
    String sign = !m.sign().isEmpty() ? m.sign()
        : signs.choose(signs.contentAddressed() ? m.refusedSigns() : List.of(),
            this::hasLiveHolder);
    if (sign == null) {
      m.replyTo().tell(new Rejected(Code.PeerTaskNotFound.getNumber(), "task " + taskId
          + ": no peer holds content other than the " + m.refusedSigns().size()
          + " piece list(s) found not to match the task's digest"));
      return this;
    }
    TaskInfo group = signs.info(sign);
    PeerState self = peers.get(m.peer().id());
    if (self == null) {
      self = upsert(m.peer(), m.hostId(), sign, new BitSet(), false);
      self.downloading = true;
    } else {
      self.downloading = true;
      // A peer that registers to download does not hold the task (whatever a late announce of
      // an earlier copy, since deleted, said): scheduling must treat it as a downloader.
      if (!self.pieces.isEmpty()) {
        rescheduleChildrenOf(self.id());
      }
      self.endpoint = SharedEndpoints.of(m.peer());
      self.hostId = m.hostId();
      self.sign = sign;
      self.pieces.clear();
      self.done = false;
    }
    PeerEndpoint holder = null;
    if (group.totalPieces() == 1 && !group.singlePieceDigest().isEmpty()) {
      List<PeerEndpoint> best = chooseParents(self, 1);
      holder = best.isEmpty() ? null : best.get(0);
    }
    m.replyTo().tell(new Registered(group, holder));
    return this;
  }

  private Behavior<Command> onPieceReported(PieceReported m) {
    PeerState child = peers.get(m.peerId());
    if (info == null || child == null) {
      m.packets().tell(new ScheduleFailed(Code.SchedPeerNotFound.getNumber(), "peer " + m.peerId()
          + " is not registered for task " + taskId + ": register again"));
      return passivateIfEmpty();
    }
    if (!m.caller().mayActFor(child.endpoint.ip())) {
      m.packets().tell(new ScheduleFailed(Code.PermissionDenied.getNumber(),
          notYours(m.caller(), child)));
      return this;
    }
    boolean attached = child.asChild == null || !child.asChild.packets.equals(m.packets());
    if (attached) {
      child.asChild = new ChildStream(m.packets());
    }
    if (m.piece() == PieceMarks.BEGIN_OF_PIECE) {
      reschedule(child, true);
      return this;
    }
    if (m.piece() == PieceMarks.END_OF_PIECE) {
      markDoneIfComplete(child);
      return this;
    }
    if (m.piece() < 0 || m.piece() >= infoOf(child).totalPieces()) {
      getContext().getLog().debug("task {}: peer {} reported piece {} of {}", taskId, m.peerId(),
          m.piece(), infoOf(child).totalPieces());
      return this;
    }
    PeerState parent = m.parentId().isEmpty() ? null : peers.get(m.parentId());
    if (parent != null && !parent.sign.equals(child.sign)) {
      parent = null; // not a parent of this group (it changed content since)
    }
    if (m.success()) {
      boolean firstPiece = child.pieces.isEmpty() && !child.done;
      child.pieces.set(m.piece());
      markDoneIfComplete(child);
      if (parent != null) {
        ParentRecord r = recordOf(parent);
        double cost = Math.max(1, m.costMs());
        r.costMs = r.costMs < 0 ? cost : 0.7 * r.costMs + 0.3 * cost;
        r.failures = Math.max(0, r.failures - 1);
      }
      if (firstPiece) {
        rescheduleOthers(child, true); // a new parent for the others
      }
      if (attached) {
        reschedule(child, true);
      }
    } else {
      if (parent != null) {
        recordOf(parent).failures++;
        if (child.asChild.failuresBy.isEmpty()) {
          child.asChild.failuresBy = new HashMap<>(4);
        }
        child.asChild.failuresBy.merge(parent.id(), 1, Integer::sum);
      }
      reschedule(child, attached);
    }
    return this;
  }

  private Behavior<Command> onReportsEnded(ReportsEnded m) {
    PeerState child = peers.get(m.peerId());
    if (child != null && child.asChild != null && child.asChild.packets.equals(m.packets())) {
      child.asChild = null;
    }
    return passivateIfEmpty();
  }

  private Behavior<Command> onPeerFinished(PeerFinished m) {
    PeerState p = peers.get(m.peerId());
    if (info == null || p == null) {
      return unknown(m.replyTo());
    }
    if (!m.caller().mayActFor(p.endpoint.ip())) {
      return denied(m.replyTo(), notYours(m.caller(), p));
    }
    if (m.success()) {
      p.pieces.set(0, infoOf(p).totalPieces());
      p.done = true;
      p.asChild = null;
    } else {
      remove(m.peerId());
    }
    m.replyTo().tell(new Ack(true));
    return this;
  }

  /**
   * Only a peer of this task reports, only as itself; it is not offered the parent again, and
   * enough reporting hosts quarantine the parent for everyone ({@link BadParentReports}).
   */
  private Behavior<Command> onReportBadParent(ReportBadParent m) {
    PeerState reporter = peers.get(m.reporterId());
    if (info == null || reporter == null) {
      return unknown(m.replyTo());
    }
    if (!m.caller().mayActFor(reporter.endpoint.ip())) {
      return denied(m.replyTo(), notYours(m.caller(), reporter));
    }
    if (badParents == null) {
      badParents = new BadParentReports(tunables.selection().badParentReporters());
    }
    // With identities, a host is its address (one host cannot vote twice with two peer ids).
    String host = m.caller().unrestricted() ? reporter.hostId : reporter.endpoint.ip();
    if (!m.sign().isEmpty() && signs.contentAddressed()) {
      return onGroupRefuted(m, reporter, host);
    }
    boolean quarantined = badParents.report(m.badPeerId(), reporter.id(), host);
    getContext().getLog().warn("task {}: peer {} reported bad by {}{}", taskId, m.badPeerId(),
        m.reporterId(), quarantined ? ": quarantined" : "");
    m.replyTo().tell(new Ack(true));
    if (quarantined) {
      rescheduleChildrenOf(m.badPeerId());
    } else {
      reschedule(reporter, false);
    }
    return this;
  }

  /**
   * A downloader found that a holder group's pieces, each matching the group's piece list, do not
   * make the content the task's digest names: the group is a squatter's (or a corrupt copy's).
   * The reporter is not offered the parent again; enough reporting hosts drop the group, and its
   * holders' announces of this task are refused for a while ({@link TaskSigns}).
   */
  private Behavior<Command> onGroupRefuted(ReportBadParent m, PeerState reporter, String host) {
    String sign = m.sign();
    if (badParents == null) {
      badParents = new BadParentReports(tunables.selection().badParentReporters());
    }
    badParents.report(m.badPeerId(), reporter.id(), host);
    boolean dropped = signs.refute(sign, host);
    getContext().getLog().warn("task {}: holder group {} (parent {}) does not make the task's "
        + "content, says {}{}", taskId, sign, m.badPeerId(), m.reporterId(),
        dropped ? ": group dropped, its holders quarantined" : "");
    m.replyTo().tell(new Ack(true));
    if (dropped) {
      List<String> holders = new ArrayList<>();
      List<String> members = new ArrayList<>();
      for (PeerState p : peers.values()) {
        if (sign.equals(p.sign)) {
          members.add(p.id());
          if (p.done && !p.downloading) {
            // announced it; a downloader of the group (the reporter too) is no squatter
            holders.add(p.id());
          }
        }
      }
      signs.drop(sign, holders, System.currentTimeMillis());
      info = signs.preferred();
      for (String id : members) {
        PeerState p = peers.get(id);
        if (p.asChild != null) {
          // downloaders of the group: their parents are gone; they register again
          p.asChild.packets.tell(new ScheduleFailed(Code.SchedTaskStatusError.getNumber(),
              "task " + taskId + ": holder group " + sign + " was found not to match the "
                  + "task's digest"));
          p.asChild = null;
        }
      }
      members.forEach(this::remove);
      return passivateIfEmpty();
    }
    return this;
  }

  /**
   * Forgets every peer and the task itself, and remembers the deletion: downloads in progress
   * end (TaskDeleted), stat and register answer "not found", a re-announce of a kept copy is
   * told to drop it, and a fresh import starts the task again.
   */
  private Behavior<Command> onDrop(Drop m) {
    if (info == null && peers.isEmpty() && deletedAtMillis == 0) {
      // nothing known of it: nothing to remember either (a delete of random ids must not
      // leave entities behind)
      m.replyTo().tell(new Dropped(List.of(), System.currentTimeMillis()));
      shard.tell(new ClusterSharding.Passivate<>(getContext().getSelf()));
      return this;
    }
    List<PeerEndpoint> holders = new ArrayList<>();
    boolean holderDown = false;
    for (PeerState p : peers.values()) {
      if (!p.id().equals(m.requesterId()) && !p.pieces.isEmpty()) {
        holders.add(p.endpoint);
        holderDown |= !liveness.isAlive(p.hostId);
      }
      if (p.asChild != null) {
        p.asChild.packets.tell(new ScheduleFailed(Code.TaskDeleted.getNumber(),
            "task " + taskId + " was deleted"));
      }
    }
    peerGauge.dec(peers.size());
    peers.clear();
    badParents = null;
    info = null;
    signs.clear();
    replicas.clear();
    long now = System.currentTimeMillis();
    remember(now);
    if (holderDown) {
      // only a holder that cannot be told now needs the deletion to outlive this node; the
      // fleet-wide log stays the size of such deletions, not of all of them
      deletionLog.record(taskId, now);
    }
    getContext().getLog().info("task {} deleted from the network by {}: {} holders told",
        taskId, m.requesterId(), holders.size());
    m.replyTo().tell(new Dropped(holders, now));
    return this;
  }

  /**
   * An incarnation that knows nothing of the task looks in the fleet's {@link DeletionLog}: the
   * node that remembered the deletion may have crashed.
   */
  private void recallDeletion() {
    if (deletedAtMillis == 0 && info == null && peers.isEmpty()) {
      long at = deletionLog.deletedAt(taskId);
      if (at > 0 && at + deletionMemory.toMillis() > System.currentTimeMillis()) {
        remember(at);
      }
    }
  }

  private void remember(long deletedAt) {
    deletedAtMillis = deletedAt;
    long left = deletedAt + deletionMemory.toMillis() - System.currentTimeMillis();
    getContext().scheduleOnce(Duration.ofMillis(Math.max(0, left)), getContext().getSelf(),
        new ForgetDeletion(deletedAt));
  }

  /**
   * Keeps the replica target ({@link ReplicaKeeper}): a round now, and again every REPLICA_CHECK
   * while the task has a target, so a holder that dies, is evicted or deletes its copy is
   * replaced.
   */
  private void keepReplicas() {
    if (!replicas.active() || info == null) {
      return;
    }
    Replication.Places places = Replication.Places.empty();
    java.util.Set<String> complete = new java.util.HashSet<>();
    java.util.Set<String> hosts = new java.util.HashSet<>();
    for (PeerState p : peers.values()) {
      places.add(p.endpoint.idc(), p.endpoint.location());
      hosts.add(p.hostId);
      if (p.done && p.sign.equals(info.pieceListSign())) {
        complete.add(p.hostId);
      }
    }
    int held = liveCopies();
    int pending = replicas.pendingAsks();
    List<String> asked = replicas.round(
        new ReplicaKeeper.Holders(held, hosts, complete, places),
        info.contentLength(), liveness.alive(), System.currentTimeMillis());
    if (!asked.isEmpty()) {
      getContext().getLog().info("task {}: {} of {} copies held, {} asked, asking {}", taskId,
          held, replicas.wanted(), pending, asked);
    }
    if (!replicaCheckScheduled && replicas.active()) {
      replicaCheckScheduled = true;
      getContext().scheduleOnce(REPLICA_CHECK, getContext().getSelf(), ReplicaCheck.INSTANCE);
    }
  }

  /** Complete copies of the preferred group on live hosts that are not quarantined. */
  private int liveCopies() {
    int held = 0;
    for (PeerState p : peers.values()) {
      if (p.done && p.sign.equals(info.pieceListSign()) && liveness.isAlive(p.hostId)
          && (badParents == null || !badParents.isQuarantined(p.id()))) {
        held++;
      }
    }
    return held;
  }

  /** Forgets a holder group when its TTL runs out, if it has one. */
  private void expireOnTime(TaskInfo group) {
    if (group.expiresAtMillis() > 0) {
      getContext().scheduleOnce(
          Duration.ofMillis(Math.max(0, group.expiresAtMillis() - System.currentTimeMillis())),
          getContext().getSelf(), new Expire(group.expiresAtMillis()));
    }
  }

  /**
   * The task's TTL ran out: its holders drop it on their own (each knows the expiry), so the
   * entity forgets the task, ends downloads still running and goes.
   */
  private Behavior<Command> onExpire(Expire m) {
    List<String> expired = signs.expiredAt(System.currentTimeMillis());
    if (info == null || expired.isEmpty()) {
      return this; // re-imported with a new TTL since
    }
    if (expired.size() < signs.size()) {
      // other contents of a content-addressed task live on: only this group goes
      for (String sign : expired) {
        signs.remove(sign);
        List<String> members = peers.values().stream().filter(p -> sign.equals(p.sign))
            .map(PeerState::id).toList();
        members.forEach(this::remove);
      }
      info = signs.preferred();
      return passivateIfEmpty();
    }
    for (PeerState p : peers.values()) {
      if (p.asChild != null) {
        p.asChild.packets.tell(new ScheduleFailed(Code.PeerTaskNotFound.getNumber(),
            "task " + taskId + " expired"));
      }
    }
    getContext().getLog().info("task {} expired: {} holders drop it", taskId, peers.size());
    peerGauge.dec(peers.size());
    peers.clear();
    badParents = null;
    info = null;
    signs.clear();
    replicas.clear();
    if (deletedAtMillis == 0) {
      shard.tell(new ClusterSharding.Passivate<>(getContext().getSelf()));
    }
    return this;
  }

  /** The deletion is old enough: nothing is left of the task, so the entity goes too. */
  private Behavior<Command> onForgetDeletion(ForgetDeletion m) {
    if (deletedAtMillis == m.deletedAtMillis()) {
      deletedAtMillis = 0;
      if (peers.isEmpty()) {
        shard.tell(new ClusterSharding.Passivate<>(getContext().getSelf()));
      }
    }
    return this;
  }

  private Behavior<Command> onLeave(Leave m) {
    PeerState p = peers.get(m.peerId());
    if (p != null && !m.caller().mayActFor(p.endpoint.ip())) {
      return denied(m.replyTo(), notYours(m.caller(), p));
    }
    remove(m.peerId());
    m.replyTo().tell(new Ack(true));
    return passivateIfEmpty();
  }

  /**
   * Goes when nothing is known here (no task, no peer, no deletion to remember): a message about
   * a task that is gone (a late report, leave or question) must not leave an entity behind.
   */
  private Behavior<Command> passivateIfEmpty() {
    if (info == null && peers.isEmpty() && deletedAtMillis == 0) {
      shard.tell(new ClusterSharding.Passivate<>(getContext().getSelf()));
    }
    return this;
  }

  /**
   * Refuses an announce or registration that would move an existing peer id to another
   * caller's address: the id stays with the host that holds it.
   */
  private boolean refusedTakeover(PeerEndpoint peer, PeerIdentity caller,
      ActorRef<Reply> replyTo) {
    PeerState existing = peers.get(peer.id());
    if (existing == null || caller.mayActFor(existing.endpoint.ip())) {
      return false;
    }
    denied(replyTo, notYours(caller, existing));
    return true;
  }

  private Behavior<Command> denied(ActorRef<Reply> replyTo, String message) {
    replyTo.tell(new Rejected(Code.PermissionDenied.getNumber(), message));
    return this;
  }

  private String notYours(PeerIdentity caller, PeerState peer) {
    return "task " + taskId + ": peer " + peer.id() + " is at " + peer.endpoint.ip() + ", and "
        + caller.describe() + " may act only for peers at its own addresses";
  }

  private void remove(String peerId) {
    if (peers.remove(peerId) != null) {
      peerGauge.dec();
      rescheduleChildrenOf(peerId);
      if (peers.isEmpty() && deletedAtMillis == 0) {
        // the last peer left: nothing of the task is held anywhere, so nothing is kept here
        shard.tell(new ClusterSharding.Passivate<>(getContext().getSelf()));
      }
    }
  }

  private Behavior<Command> onStat(Stat m) {
    TaskInfo group = m.sign().isEmpty() ? info : signs.info(m.sign());
    if (group == null) {
      return unknown(m.replyTo());
    }
    m.replyTo().tell(status(group));
    return this;
  }

  private Behavior<Command> onDescribe(Describe m) {
    if (info == null) {
      return unknown(m.replyTo());
    }
    List<Holder> holders = new ArrayList<>(peers.size());
    for (PeerState p : peers.values()) {
      holders.add(new Holder(p.endpoint,
          p.done ? infoOf(p).totalPieces() : p.pieces.cardinality(), p.done));
    }
    m.replyTo().tell(new Described(status(info), holders));
    return this;
  }

  private Status status(TaskInfo group) {
    String sign = group.pieceListSign();
    boolean anyDone = peers.values().stream().anyMatch(p -> p.done && sign.equals(p.sign));
    String state = anyDone ? "Succeeded" : peers.isEmpty() ? "Pending" : "Running";
    int copies = sign.equals(info.pieceListSign()) ? liveCopies() : (hasLiveHolder(sign) ? 1 : 0);
    return new Status(group, state, peers.size(), copies > 0, replicas.wanted(), copies);
  }

  /**
   * Answers that this task is unknown and passivates: with passivation otherwise off, an entity
   * made only by asking about a task nobody holds would stay in memory for good.
   */
  private Behavior<Command> unknown(ActorRef<Reply> replyTo) {
    replyTo.tell(new Unknown(taskId));
    if (peers.isEmpty() && deletedAtMillis == 0) { // a deletion is remembered for its time
      shard.tell(new ClusterSharding.Passivate<>(getContext().getSelf()));
    }
    return this;
  }

  private Behavior<Command> onRestore(RestoreState m) {
    if (m.deletedAtMillis() > 0 && info == null && peers.isEmpty()) {
      remember(m.deletedAtMillis());
      return this;
    }
    if (m.info() != null && (info == null || signs.has(m.info().pieceListSign())
        || signs.contentAddressed())) {
      signs.restore(m.signs());
      if (!signs.has(m.info().pieceListSign())) {
        signs.put(m.info());
      }
      info = signs.preferred();
      signs.all().forEach(this::expireOnTime);
      for (PeerSnapshot s : m.peers()) {
        String sign = s.sign() == null ? m.info().pieceListSign() : s.sign();
        if (signs.has(sign)) {
          upsert(s.peer(), s.hostId() == null ? s.peer().id() : s.hostId(), sign,
              BitSet.valueOf(s.pieces()), s.done());
        }
      }
      replicas.restore(m.replication());
      keepReplicas();
    }
    return this;
  }

  private Behavior<Command> onHandOff() {
    if ((info != null && !peers.isEmpty()) || deletedAtMillis > 0) {
      List<PeerSnapshot> snapshot = peers.values().stream().map(PeerState::snapshot).toList();
      handoff.send(taskId, new RestoreState(info, snapshot, deletedAtMillis,
          replicas.target(), signs.snapshot()));
    }
    return Behaviors.stopped();
  }

  // ------------------------------------------------------------------ parent selection

  /** Chooses the child's parents again and pushes them if they changed (or always, if forced). */
  private void reschedule(PeerState child, boolean force) {
    ChildStream stream = child.asChild;
    if (stream == null || child.done) {
      return;
    }
    List<PeerEndpoint> chosen = chooseParents(child, tunables.selection().parentLimit());
    List<String> ids = chosen.stream().map(PeerEndpoint::id).toList();
    if (!force && ids.equals(stream.parents)) {
      return;
    }
    stream.parents = ids;
    if (!chosen.isEmpty()) {
      stream.packets.tell(new NewParents(chosen));
    } else if (!hasLiveHolder(child.sign) && !anyOtherHasPieces(child)) {
      stream.packets.tell(new ScheduleFailed(Code.SchedTaskStatusError.getNumber(),
          "no live peer holds task " + taskId));
    } // else none is free now: the child keeps the parents it has and hears when one is
  }

  /**
   * Offers a peer that just became a parent (first pieces, or complete) to the other downloads
   * that have room for another parent; with {@code onlyWithRoom} false, to all of them.
   */
  private void rescheduleOthers(PeerState changed, boolean onlyWithRoom) {
    for (PeerState p : peers.values()) {
      if (p != changed && p.asChild != null
          && (!onlyWithRoom || p.asChild.parents.size() < tunables.selection().parentLimit())) {
        reschedule(p, false);
      }
    }
  }

  private void rescheduleChildrenOf(String parentId) {
    for (PeerState p : peers.values()) {
      if (p.asChild != null && p.asChild.parents.contains(parentId)) {
        reschedule(p, false);
      }
    }
  }

  private List<PeerEndpoint> chooseParents(PeerState child, int max) {
    Map<String, Integer> assigned = new HashMap<>();
    for (PeerState p : peers.values()) {
      if (p.asChild != null && p != child) {
        for (String parent : p.asChild.parents) {
          assigned.merge(parent, 1, Integer::sum);
        }
      }
    }
    int missing = infoOf(child).totalPieces() - child.pieces.cardinality();
    List<ParentEvaluator.Candidate> candidates = new ArrayList<>();
    Map<String, PeerEndpoint> byId = new HashMap<>();
    for (PeerState p : peers.values()) {
      String id = p.id();
      if (p == child || !p.sign.equals(child.sign)
          || (badParents != null && badParents.excludedFor(id, child.id()))
          || !liveness.isAlive(p.hostId)
          || (child.asChild != null && child.asChild.blocked(id))) {
        continue;
      }
      int useful;
      if (p.done) {
        useful = missing;
      } else {
        BitSet theirs = (BitSet) p.pieces.clone();
        theirs.andNot(child.pieces);
        useful = theirs.cardinality();
      }
      HostStatus host = liveness.status(p.hostId);
      int limit = host != null && host.uploadLimit() > 0 ? host.uploadLimit()
          : tunables.selection().defaultUploadLimit();
      int busy = Math.max(host == null ? 0 : host.activeUploads(), assigned.getOrDefault(id, 0));
      ParentRecord r = p.asParent;
      candidates.add(new ParentEvaluator.Candidate(id, p.done, useful, limit - busy, limit,
          p.endpoint.sameIdcAs(child.endpoint), p.endpoint.sameLocationAs(child.endpoint),
          r == null ? -1 : r.costMs, r == null ? 0 : r.failures));
      byId.put(id, p.endpoint);
    }
    return ParentEvaluator.choose(child.id(), missing, candidates, max).stream()
        .map(c -> byId.get(c.peerId()))
        .toList();
  }

  private static ParentRecord recordOf(PeerState p) {
    if (p.asParent == null) {
      p.asParent = new ParentRecord();
    }
    return p.asParent;
  }

  private void markDoneIfComplete(PeerState p) {
    if (!p.done && p.pieces.cardinality() == infoOf(p).totalPieces()) {
      p.done = true;
    }
  }

  private boolean anyOtherHasPieces(PeerState child) {
    for (PeerState p : peers.values()) {
      if (p != child && p.sign.equals(child.sign) && !p.pieces.isEmpty()
          && liveness.isAlive(p.hostId)) {
        return true;
      }
    }
    return false;
  }

  private boolean hasLiveHolder() {
    for (PeerState p : peers.values()) {
      if (isLiveHolder(p)) {
        return true;
      }
    }
    return false;
  }

  /** Whether a live, unquarantined peer holds the whole of the group {@code sign}. */
  private boolean hasLiveHolder(String sign) {
    for (PeerState p : peers.values()) {
      if (sign.equals(p.sign) && isLiveHolder(p)) {
        return true;
      }
    }
    return false;
  }

  private boolean isLiveHolder(PeerState p) {
    return p.done && (badParents == null || !badParents.isQuarantined(p.id()))
        && liveness.isAlive(p.hostId);
  }

  /** The info of the group the peer holds or downloads. */
  private TaskInfo infoOf(PeerState p) {
    TaskInfo group = signs.info(p.sign);
    return group == null ? info : group;
  }

  private PeerState upsert(PeerEndpoint announced, String hostId, String sign, BitSet pieces,
      boolean done) {
    PeerEndpoint endpoint = SharedEndpoints.of(announced);
    PeerState p = peers.get(endpoint.id());
    if (p == null) {
      p = new PeerState(endpoint, hostId, sign, pieces, done);
      peers.put(endpoint.id(), p);
      peerGauge.inc();
    } else {
      p.endpoint = endpoint;
      p.hostId = hostId;
      p.sign = sign;
      p.pieces.or(pieces);
      p.done |= done;
    }
    return p;
  }
}
