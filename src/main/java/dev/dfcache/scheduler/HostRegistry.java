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
 * two thirds of a TTL away, so the gossip carries about one update per host per third of a TTL,
 * not one per heartbeat.
 */
public final class HostRegistry extends AbstractBehavior<HostRegistry.Command> {

  public sealed interface Command {}

  /** A heartbeat (or announce) from a host heard by this node. */
  public record Beat(String hostId) implements Command {}

  private record ReplicaChanged(Replicator.SubscribeResponse<LWWMap<String, Long>> response)
      implements Command {}

  private record WriteDone(Replicator.UpdateResponse<LWWMap<String, Long>> response)
      implements Command {}

  private enum ForgetDeadHosts implements Command { INSTANCE }

  static final Key<LWWMap<String, Long>> KEY = LWWMapKey.create("dfcache-hosts");

  private final ReplicatorMessageAdapter<Command, LWWMap<String, Long>> replicator;
  private final SelfUniqueAddress node;
  private final HostLiveness liveness;
  private final long ttlMillis;
  private final long forgetAfterMillis;
  private final java.util.HashMap<String, Long> replicated = new java.util.HashMap<>();

  public static Behavior<Command> create(Duration hostTtl, Duration forgetAfter) {
    return Behaviors.setup(ctx -> DistributedData.withReplicatorMessageAdapter(
        (ReplicatorMessageAdapter<Command, LWWMap<String, Long>> replicator) ->
            Behaviors.withTimers(timers -> {
              timers.startTimerWithFixedDelay(ForgetDeadHosts.INSTANCE, Duration.ofMinutes(1));
              return new HostRegistry(ctx, replicator, hostTtl, forgetAfter);
            })));
  }

  private HostRegistry(ActorContext<Command> ctx,
      ReplicatorMessageAdapter<Command, LWWMap<String, Long>> replicator, Duration hostTtl,
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
    long until = now + ttlMillis;
    liveness.extend(beat.hostId(), until);
    Long known = replicated.get(beat.hostId());
    // Rewrite while a third of the TTL is still left: the other nodes learn it a gossip round
    // (up to 2 s) later, and must never see a live host's entry lapse in between.
    if (known == null || known - now < ttlMillis * 2 / 3) {
      replicated.put(beat.hostId(), until);
      replicator.askUpdate(
          replyTo -> new Replicator.Update<>(KEY, LWWMap.empty(), Replicator.writeLocal(), replyTo,
              map -> map.put(node, beat.hostId(), until)),
          WriteDone::new);
    }
    return this;
  }

  @SuppressWarnings("unchecked")
  private Behavior<Command> onReplicaChanged(ReplicaChanged changed) {
    if (changed.response() instanceof Replicator.Changed<?> c) {
      LWWMap<String, Long> map = ((Replicator.Changed<LWWMap<String, Long>>) c).get(KEY);
      Map<String, Long> entries = map.getEntries();
      replicated.putAll(entries);
      liveness.replaceAll(entries);
    }
    return this;
  }

  private Behavior<Command> onForget() {
    long now = System.currentTimeMillis();
    java.util.List<String> dead = replicated.entrySet().stream()
        .filter(e -> now - e.getValue() > forgetAfterMillis)
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
    return this;
  }
}
