package dev.dfcache.scheduler;

import dev.dfcache.api.common.Code;
import dev.dfcache.cluster.CborSerializable;
import dev.dfcache.common.PeerEndpoint;
import dev.dfcache.metrics.SchedulerMetrics;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
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
 * One task, as a sharded entity (entity id = task id): which peers hold which of its pieces. The
 * state is soft: the peers hold the truth and re-announce it when the task moves. On a graceful
 * hand-off (rebalance or a node leaving) the entity sends its state to its next incarnation on the
 * shard's next owner ({@link TaskHandoff}), so nothing has to be re-announced.
 */
public final class TaskEntity extends AbstractBehavior<TaskEntity.Command> {

  public static final EntityTypeKey<Command> TYPE_KEY = EntityTypeKey.create(Command.class, "Task");

  public sealed interface Command extends CborSerializable {}

  /** A peer holds the whole task. */
  public record Announce(TaskInfo info, PeerEndpoint peer, ActorRef<Reply> replyTo)
      implements Command {}

  /** A peer wants to download: register it and answer with parents that hold pieces. */
  public record FindParents(PeerEndpoint requester, List<String> badPeerIds, int max,
      ActorRef<Reply> replyTo) implements Command {}

  /** A downloading peer now holds more pieces (bitset words), or all of them. */
  public record ReportPieces(PeerEndpoint peer, long[] pieces, boolean done,
      ActorRef<Reply> replyTo) implements Command {}

  public record ReportBadParent(String badPeerId, String reporterId, ActorRef<Reply> replyTo)
      implements Command {}

  public record Leave(String peerId, ActorRef<Reply> replyTo) implements Command {}

  public record Stat(ActorRef<Reply> replyTo) implements Command {}

  /** The state of this task's previous incarnation, handed over through sharding. */
  public record RestoreState(TaskInfo info, List<PeerSnapshot> peers) implements Command {}

  /** Sent by sharding instead of PoisonPill when the shard hands off. */
  public record HandOff() implements Command {}

  public record PeerSnapshot(PeerEndpoint peer, long[] pieces, boolean done)
      implements CborSerializable {}

  public sealed interface Reply extends CborSerializable {}

  public record Ack(boolean ok) implements Reply {}

  public record Unknown(String taskId) implements Reply {}

  public record Rejected(int code, String message) implements Reply {}

  public record Parents(TaskInfo info, List<PeerSnapshot> parents) implements Reply {}

  public record Status(TaskInfo info, String state, int peerCount, boolean hasAvailablePeer)
      implements Reply {}

  /** A peer as this entity tracks it. */
  private static final class PeerState {
    PeerEndpoint endpoint;
    final BitSet pieces;
    boolean done;
    long timesOffered;

    PeerState(PeerEndpoint endpoint, BitSet pieces, boolean done) {
      this.endpoint = endpoint;
      this.pieces = pieces;
      this.done = done;
    }

    PeerSnapshot snapshot() {
      return new PeerSnapshot(endpoint, pieces.toLongArray(), done);
    }
  }

  private final String taskId;
  private final HostLiveness liveness;
  private final TaskHandoff handoff;
  private final ActorRef<ClusterSharding.ShardCommand> shard;
  /** This node's gauge of peers recorded by its tasks; kept equal to the sum of peers.size(). */
  private final io.prometheus.metrics.core.metrics.Gauge peerGauge;
  private TaskInfo info;
  /** Most tasks have one or two peers: a small table, not the default 16 slots. */
  private final Map<String, PeerState> peers = new LinkedHashMap<>(4);
  /**
   * Peers found serving corrupt data for this task: never offered again until they re-announce.
   * Empty and shared until the first report, since a node holds hundreds of thousands of tasks.
   */
  private Set<String> quarantined = Set.of();


  public static Behavior<Command> create(EntityContext<Command> entityContext,
      TaskHandoff handoff) {
    return Behaviors.setup(ctx -> new TaskEntity(ctx, entityContext, handoff));
  }

  private TaskEntity(ActorContext<Command> ctx, EntityContext<Command> entityContext,
      TaskHandoff handoff) {
    super(ctx);
    this.taskId = entityContext.getEntityId();
    this.shard = entityContext.getShard();
    this.liveness = HostLiveness.get(ctx.getSystem());
    this.handoff = handoff;
    this.peerGauge = SchedulerMetrics.get(ctx.getSystem()).taskPeers;
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Announce.class, this::onAnnounce)
        .onMessage(FindParents.class, this::onFindParents)
        .onMessage(ReportPieces.class, this::onReportPieces)
        .onMessage(ReportBadParent.class, this::onReportBadParent)
        .onMessage(Leave.class, this::onLeave)
        .onMessage(Stat.class, this::onStat)
        .onMessage(RestoreState.class, this::onRestore)
        .onMessage(HandOff.class, m -> onHandOff())
        .onSignal(PostStop.class, s -> {
          peerGauge.dec(peers.size());
          return this;
        })
        .build();
  }

  private Behavior<Command> onAnnounce(Announce m) {
    if (info != null && !info.sameContentAs(m.info())) {
      if (hasLiveHolder()) {
        m.replyTo().tell(new Rejected(Code.BadRequest.getNumber(),
            "task " + taskId + " is already held by other peers with different content"));
        return this;
      }
      // Nobody alive holds the old content: the new announce defines the task.
      peerGauge.dec(peers.size());
      peers.clear();
      quarantined = Set.of();
    }
    info = m.info();
    BitSet all = new BitSet(info.totalPieces());
    all.set(0, info.totalPieces());
    upsert(m.peer(), all, true);
    if (!quarantined.isEmpty()) { // a HashSet once anyone was reported
      quarantined.remove(m.peer().id());
    }
    m.replyTo().tell(new Ack(true));
    return this;
  }

  private Behavior<Command> onFindParents(FindParents m) {
    if (info == null) {
      return unknown(m.replyTo());
    }
    PeerState self = peers.get(m.requester().id());
    if (self == null) {
      upsert(m.requester(), new BitSet(), false);
    }
    Set<String> excluded = new HashSet<>(m.badPeerIds());
    excluded.addAll(quarantined);
    excluded.add(m.requester().id());
    List<PeerState> candidates = new ArrayList<>();
    for (PeerState p : peers.values()) {
      if (!excluded.contains(p.endpoint.id()) && (p.done || !p.pieces.isEmpty())
          && liveness.isAlive(p.endpoint.id())) {
        candidates.add(p);
      }
    }
    // Spread downloaders over the holders: the least offered first, ties broken at random.
    candidates.sort(Comparator.comparingLong((PeerState p) -> p.timesOffered)
        .thenComparingInt(p -> ThreadLocalRandom.current().nextInt()));
    List<PeerSnapshot> chosen = new ArrayList<>();
    for (PeerState p : candidates.subList(0, Math.min(m.max(), candidates.size()))) {
      p.timesOffered++;
      chosen.add(p.snapshot());
    }
    m.replyTo().tell(new Parents(info, chosen));
    return this;
  }

  private Behavior<Command> onReportPieces(ReportPieces m) {
    if (info == null) {
      return unknown(m.replyTo());
    }
    BitSet reported = BitSet.valueOf(m.pieces());
    if (m.done()) {
      reported.set(0, info.totalPieces());
    }
    upsert(m.peer(), reported, m.done());
    m.replyTo().tell(new Ack(true));
    return this;
  }

  private Behavior<Command> onReportBadParent(ReportBadParent m) {
    getContext().getLog().warn("task {}: peer {} reported bad by {}", taskId, m.badPeerId(),
        m.reporterId());
    if (quarantined.isEmpty()) {
      quarantined = new HashSet<>(2);
    }
    quarantined.add(m.badPeerId());
    m.replyTo().tell(new Ack(true));
    return this;
  }

  private Behavior<Command> onLeave(Leave m) {
    if (peers.remove(m.peerId()) != null) {
      peerGauge.dec();
    }
    m.replyTo().tell(new Ack(true));
    return this;
  }

  private Behavior<Command> onStat(Stat m) {
    if (info == null) {
      return unknown(m.replyTo());
    }
    boolean anyDone = peers.values().stream().anyMatch(p -> p.done);
    String state = anyDone ? "Succeeded" : peers.isEmpty() ? "Pending" : "Running";
    m.replyTo().tell(new Status(info, state, peers.size(), hasLiveHolder()));
    return this;
  }

  /**
   * Answers that this task is unknown and passivates: with passivation otherwise off, an entity
   * made only by asking about a task nobody holds would stay in memory for good.
   */
  private Behavior<Command> unknown(ActorRef<Reply> replyTo) {
    replyTo.tell(new Unknown(taskId));
    if (peers.isEmpty()) {
      shard.tell(new ClusterSharding.Passivate<>(getContext().getSelf()));
    }
    return this;
  }

  private Behavior<Command> onRestore(RestoreState m) {
    if (info == null || info.sameContentAs(m.info())) {
      info = m.info();
      for (PeerSnapshot s : m.peers()) {
        upsert(s.peer(), BitSet.valueOf(s.pieces()), s.done());
      }
    }
    return this;
  }

  private Behavior<Command> onHandOff() {
    if (info != null && !peers.isEmpty()) {
      List<PeerSnapshot> snapshot = peers.values().stream().map(PeerState::snapshot).toList();
      handoff.send(taskId, new RestoreState(info, snapshot));
    }
    return Behaviors.stopped();
  }

  private boolean hasLiveHolder() {
    for (PeerState p : peers.values()) {
      if (p.done && !quarantined.contains(p.endpoint.id()) && liveness.isAlive(p.endpoint.id())) {
        return true;
      }
    }
    return false;
  }

  private void upsert(PeerEndpoint announced, BitSet pieces, boolean done) {
    PeerEndpoint endpoint = SharedEndpoints.of(announced);
    PeerState p = peers.get(endpoint.id());
    if (p == null) {
      peers.put(endpoint.id(), new PeerState(endpoint, pieces, done));
      peerGauge.inc();
    } else {
      p.endpoint = endpoint;
      p.pieces.or(pieces);
      p.done |= done;
    }
  }
}
