package dev.dfcache.scheduler;

import java.time.Duration;
import java.util.Map;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.ddata.Key;
import org.apache.pekko.cluster.ddata.LWWMap;
import org.apache.pekko.cluster.ddata.LWWMapKey;
import org.apache.pekko.cluster.ddata.SelfUniqueAddress;
import org.apache.pekko.cluster.ddata.typed.javadsl.DistributedData;
import org.apache.pekko.cluster.ddata.typed.javadsl.Replicator;
import org.apache.pekko.cluster.ddata.typed.javadsl.ReplicatorMessageAdapter;

/**
 * Spreads peer heartbeats over the scheduler fleet. A peer heartbeats to one scheduler node; its
 * tasks live on many. The node that hears the heartbeat writes "alive until T" into a replicated
 * LWW map (Distributed Data), and every node mirrors that map into its {@link HostLiveness}.
 *
 * <p>Writes are thinned: a host's entry is rewritten only when its replicated expiry is less than
 * two thirds of a TTL away or its upload load moved by a quarter of its limit, so the gossip
 * carries about one update per host per third of a TTL, not one per heartbeat. The load other
 * nodes see is therefore up to a third of a TTL old: parent choice uses it as a hint, next to the
 * children each task entity itself assigned.
 */
public final class HostRegistry extends AbstractBehavior<HostRegistry.Command> {

  public sealed interface Command {}

  /**
   * A heartbeat (or, with no load known, an announce) from a host heard by this node: the
   * address it advertises, its upload limit and the uploads it serves now (0, 0 = not reported),
   * the room left in its cache (-1 = not reported), its IDC and location.
   */
  public record Beat(String hostId, String ip, int rpcPort, int uploadLimit, int activeUploads,
      long cacheFreeBytes, String idc, String location) implements Command {
    /** An announce: the host is alive, nothing known of its load. */
    public Beat(String hostId, String ip, int rpcPort) {
      this(hostId, ip, rpcPort, 0, 0, -1, "", "");
    }
  }

  private record ReplicaChanged(Replicator.SubscribeResponse<LWWMap<String, HostStatus>> response)
      implements Command {}

  private record WriteDone(Replicator.UpdateResponse<LWWMap<String, HostStatus>> response)
      implements Command {}

  private enum ForgetDeadHosts implements Command { INSTANCE }

  static final Key<LWWMap<String, HostStatus>> KEY = LWWMapKey.create("dfcache-hosts-v5");

  private final ReplicatorMessageAdapter<Command, LWWMap<String, HostStatus>> replicator;
  private final SelfUniqueAddress node;
  private final HostLiveness liveness;
  private final long ttlMillis;
  private final long forgetAfterMillis;
  private final java.util.HashMap<String, HostStatus> replicated = new java.util.HashMap<>();

  public static Behavior<Command> create(Duration hostTtl, Duration forgetAfter) {
    // an update the replicator does not answer in time fails the adapter's ask: a registry that
    // stopped would let every host's liveness lapse, so it starts afresh instead
    return Behaviors.supervise(setup(hostTtl, forgetAfter)).onFailure(
        org.apache.pekko.actor.typed.SupervisorStrategy.restart());
  }

  private static Behavior<Command> setup(Duration hostTtl, Duration forgetAfter) {
    return Behaviors.setup(ctx -> DistributedData.withReplicatorMessageAdapter(
        (ReplicatorMessageAdapter<Command, LWWMap<String, HostStatus>> replicator) ->
            Behaviors.withTimers(timers -> {
              Duration every = forgetAfter.compareTo(Duration.ofMinutes(1)) < 0
                  ? forgetAfter : Duration.ofMinutes(1);
              timers.startTimerWithFixedDelay(ForgetDeadHosts.INSTANCE, every);
              return new HostRegistry(ctx, replicator, hostTtl, forgetAfter);
            })));
  }

  private HostRegistry(ActorContext<Command> ctx,
      ReplicatorMessageAdapter<Command, LWWMap<String, HostStatus>> replicator, Duration hostTtl,
      Duration forgetAfter) {
    super(ctx);
    this.replicator = replicator;
    this.node = DistributedData.get(ctx.getSystem()).selfUniqueAddress();
    this.liveness = HostLiveness.get(ctx.getSystem());
    this.ttlMillis = hostTtl.toMillis();
    this.forgetAfterMillis = forgetAfter.toMillis();
    replicator.subscribe(KEY, ReplicaChanged::new);
  }

  @Override
  public org.apache.pekko.actor.typed.javadsl.Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Beat.class, this::onBeat)
        .onMessage(ReplicaChanged.class, this::onReplicaChanged)
        .onMessage(WriteDone.class, m -> this)
        .onMessage(ForgetDeadHosts.class, m -> onForget())
        .build();
  }

  private Behavior<Command> onBeat(Beat beat) {
    long now = System.currentTimeMillis();
    HostStatus known = replicated.get(beat.hostId());
    HostStatus local = liveness.status(beat.hostId());
    if ((known != null && known.heldAgainst(beat.ip(), now))
        || (local != null && local.heldAgainst(beat.ip(), now))) {
      // another address speaks for a live host's id: keep the host's own word (an id moves to
      // a new address once the old one stops beating, within a host TTL)
      getContext().getLog().debug("beat for {} from {} ignored: it is alive at another address",
          beat.hostId(), beat.ip());
      return this;
    }
    HostStatus status = new HostStatus(now + ttlMillis, beat.uploadLimit(), beat.activeUploads(),
        beat.ip(), beat.rpcPort(), beat.cacheFreeBytes(), beat.idc(), beat.location());
    liveness.extend(beat.hostId(), status);
    // Rewrite while a third of the TTL is still left: the other nodes learn it a gossip round
    // (up to 2 s) later, and must never see a live host's entry lapse in between.
    if (known == null || known.aliveUntil() - now < ttlMillis * 2 / 3
        || loadMoved(known, status)) {
      HostStatus merged = HostStatus.newer(known == null ? status : known, status);
      replicated.put(beat.hostId(), merged);
      replicator.askUpdate(
          replyTo -> new Replicator.Update<>(KEY, LWWMap.empty(), Replicator.writeLocal(), replyTo,
              map -> map.put(node, beat.hostId(), merged)),
          WriteDone::new);
    }
    return this;
  }

  private static boolean loadMoved(HostStatus known, HostStatus now) {
    if (now.uploadLimit() == 0) {
      return false; // an announce: no load to tell
    }
    return now.uploadLimit() != known.uploadLimit()
        || Math.abs(now.activeUploads() - known.activeUploads()) * 4 >= now.uploadLimit()
        || Math.abs(now.cacheFreeBytes() - known.cacheFreeBytes())
            > Math.max(64L << 20, Math.abs(known.cacheFreeBytes()) / 8)
        || !now.idc().equals(known.idc()) || !now.location().equals(known.location());
  }

  @SuppressWarnings("unchecked")
  private Behavior<Command> onReplicaChanged(ReplicaChanged changed) {
    if (changed.response() instanceof Replicator.Changed<?> c) {
      LWWMap<String, HostStatus> map =
          ((Replicator.Changed<LWWMap<String, HostStatus>>) c).get(KEY);
      Map<String, HostStatus> entries = map.getEntries();
      replicated.putAll(entries);
      liveness.replaceAll(entries);
    }
    return this;
  }

  private Behavior<Command> onForget() {
    long now = System.currentTimeMillis();
    java.util.List<String> dead = replicated.entrySet().stream()
        .filter(e -> now - e.getValue().aliveUntil() > forgetAfterMillis)
        .map(Map.Entry::getKey)
        .toList();
    for (String host : dead) {
      replicated.remove(host);
      liveness.forget(host);
      replicator.askUpdate(
          replyTo -> new Replicator.Update<>(KEY, LWWMap.empty(), Replicator.writeLocal(), replyTo,
              map -> map.remove(node, host)),
          WriteDone::new);
    }
    DeadPeerSweep.forget(getContext().getSystem(), java.util.Set.copyOf(dead));
    return this;
  }
}
