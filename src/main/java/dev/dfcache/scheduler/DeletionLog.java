package dev.dfcache.scheduler;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.cluster.ddata.Key;
import org.apache.pekko.cluster.ddata.LWWMap;
import org.apache.pekko.cluster.ddata.LWWMapKey;
import org.apache.pekko.cluster.ddata.SelfUniqueAddress;
import org.apache.pekko.cluster.ddata.typed.javadsl.DistributedData;
import org.apache.pekko.cluster.ddata.typed.javadsl.Replicator;
import org.apache.pekko.cluster.ddata.typed.javadsl.ReplicatorMessageAdapter;

/**
 * The network deletions of the fleet, replicated to every scheduler node (Distributed Data):
 * task id -> when it was deleted. A task entity remembers its own deletion, but a node that
 * crashes takes that memory with it; the entity's next incarnation, on another node, finds the
 * deletion here, so a holder that was down still drops its copy when it announces it again.
 *
 * <p>Only deletions that left a holder uninformed (it was down) are logged: the others need no
 * memory beyond the entity's. Deletions and their undoing (a fresh import of the task) are
 * written to a majority of the nodes, so one node's crash loses neither; every node drops
 * entries older than the deletion memory, and past {@link #MAX_ENTRIES} (about 200 bytes each
 * on every node) new ones are not logged: Distributed Data carries small maps only.
 */
public final class DeletionLog extends AbstractBehavior<DeletionLog.Command> {

  public sealed interface Command {}

  record Record(String taskId, long deletedAtMillis) implements Command {}

  record Undo(String taskId) implements Command {}

  private enum Prune implements Command { INSTANCE }

  private record Changed(Replicator.SubscribeResponse<LWWMap<String, Long>> response)
      implements Command {}

  private record Written(Replicator.UpdateResponse<LWWMap<String, Long>> response)
      implements Command {}

  static final Key<LWWMap<String, Long>> KEY = LWWMapKey.create("dfcache-deletions-v1");
  private static final Duration WRITE_TIMEOUT = Duration.ofSeconds(3);

  /** This node's mirror of the log, read by task entities; written by the actor only. */
  public static final class Mirror implements Extension {
    private final Map<String, Long> deleted = new ConcurrentHashMap<>();
    private volatile ActorRef<Command> log;

    public static final ExtensionId<Mirror> ID = new ExtensionId<>() {
      @Override
      public Mirror createExtension(ActorSystem<?> system) {
        return new Mirror();
      }
    };

    public static Mirror get(ActorSystem<?> system) {
      return system.registerExtension(ID);
    }

    /** When the task was deleted from the network, or 0 when it was not (or long ago). */
    public long deletedAt(String taskId) {
      return deleted.getOrDefault(taskId, 0L);
    }

    /** Records a deletion fleet-wide. */
    public void record(String taskId, long deletedAtMillis) {
      deleted.put(taskId, deletedAtMillis);
      ActorRef<Command> to = log;
      if (to != null) {
        to.tell(new Record(taskId, deletedAtMillis));
      }
    }

    /** The task was imported again: its deletion no longer holds. */
    public void undo(String taskId) {
      if (deleted.remove(taskId) != null) {
        ActorRef<Command> to = log;
        if (to != null) {
          to.tell(new Undo(taskId));
        }
      }
    }

    public int size() {
      return deleted.size();
    }
  }

  private final ReplicatorMessageAdapter<Command, LWWMap<String, Long>> replicator;
  private final SelfUniqueAddress node;
  private final Mirror mirror;
  private final long memoryMillis;

  /** Past this many entries new deletions are remembered by their entities only. */
  static final int MAX_ENTRIES = 20_000;

  public static Behavior<Command> create(Duration memory) {
    // an update the replicator does not answer in time fails the adapter's ask: start afresh
    // (the mirror and the replicated map survive) rather than stop remembering
    return Behaviors.supervise(setup(memory)).onFailure(
        org.apache.pekko.actor.typed.SupervisorStrategy.restart());
  }

  private static Behavior<Command> setup(Duration memory) {
    return Behaviors.setup(ctx -> DistributedData.withReplicatorMessageAdapter(
        (ReplicatorMessageAdapter<Command, LWWMap<String, Long>> replicator) ->
            Behaviors.withTimers(timers -> {
              Duration every = memory.compareTo(Duration.ofMinutes(1)) < 0
                  ? memory : Duration.ofMinutes(1);
              timers.startTimerWithFixedDelay(Prune.INSTANCE, every);
              return new DeletionLog(ctx, replicator, memory);
            })));
  }

  private DeletionLog(ActorContext<Command> ctx,
      ReplicatorMessageAdapter<Command, LWWMap<String, Long>> replicator, Duration memory) {
    super(ctx);
    this.replicator = replicator;
    this.node = DistributedData.get(ctx.getSystem()).selfUniqueAddress();
    this.mirror = Mirror.get(ctx.getSystem());
    this.memoryMillis = memory.toMillis();
    this.mirror.log = ctx.getSelf();
    replicator.subscribe(KEY, Changed::new);
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Record.class, m -> {
          if (mirror.size() > MAX_ENTRIES) {
            getContext().getLog().warn("deletion log full ({} entries): the deletion of {} is "
                + "remembered by its task entity only", mirror.size(), m.taskId());
            return this;
          }
          return write(map -> map.put(node, m.taskId(), m.deletedAtMillis()),
              new Replicator.WriteMajority(WRITE_TIMEOUT));
        })
        .onMessage(Undo.class, m -> write(map -> map.remove(node, m.taskId()),
            new Replicator.WriteMajority(WRITE_TIMEOUT)))
        .onMessage(Prune.class, m -> onPrune())
        .onMessage(Changed.class, this::onChanged)
        .onMessage(Written.class, m -> {
          if (!(m.response() instanceof Replicator.UpdateSuccess)) {
            // written locally all the same; gossip carries it to the others in a second or two
            getContext().getLog().debug("deletion log write not confirmed by a majority: {}",
                m.response());
          }
          return this;
        })
        .build();
  }

  private Behavior<Command> write(
      java.util.function.Function<LWWMap<String, Long>, LWWMap<String, Long>> change,
      Replicator.WriteConsistency consistency) {
    replicator.askUpdate(
        replyTo -> new Replicator.Update<>(KEY, LWWMap.empty(), consistency, replyTo,
            change::apply),
        Written::new);
    return this;
  }

  @SuppressWarnings("unchecked")
  private Behavior<Command> onChanged(Changed changed) {
    if (changed.response() instanceof Replicator.Changed<?> c) {
      Map<String, Long> entries = ((Replicator.Changed<LWWMap<String, Long>>) c).get(KEY)
          .getEntries();
      mirror.deleted.keySet().retainAll(entries.keySet());
      mirror.deleted.putAll(entries);
    }
    return this;
  }

  private Behavior<Command> onPrune() {
    long oldest = System.currentTimeMillis() - memoryMillis;
    java.util.List<String> old = mirror.deleted.entrySet().stream()
        .filter(e -> e.getValue() < oldest).map(Map.Entry::getKey).toList();
    for (String taskId : old) {
      mirror.deleted.remove(taskId);
      write(map -> map.remove(node, taskId), Replicator.writeLocal());
    }
    return this;
  }
}
