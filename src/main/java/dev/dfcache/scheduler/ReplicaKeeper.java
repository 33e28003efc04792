package dev.dfcache.scheduler;

import dev.dfcache.api.common.UrlMeta;
import dev.dfcache.api.peer.ReplicateRequest;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A task's replica target and the hosts asked to make up for missing copies: one round counts
 * the live complete copies and asks as many other hosts as are missing (chosen by
 * {@link Replication#targets}) to download the task. A host asked has {@link #PATIENCE} to bring
 * its copy before another one is asked in its place. Owned by the task entity, which runs a
 * round when a copy comes or goes and on a timer.
 */
final class ReplicaKeeper {
  /** How long an asked host has to turn up with a copy before another is asked. */
  static final Duration PATIENCE = Duration.ofMinutes(2);

  private final String taskId;
  private final DaemonCalls daemons;
  /** The target, if the import asked for more than one copy; else null. */
  private Replication target;
  /** Hosts asked for a copy, until when they may take to bring it; null when none. */
  private Map<String, Long> asks;

  ReplicaKeeper(String taskId, DaemonCalls daemons) {
    this.taskId = taskId;
    this.daemons = daemons;
  }

  /** An announce's target: a fresh import sets it, a re-announce of a kept copy only raises it. */
  void offer(Replication asked, boolean fresh) {
    if (asked != null && (fresh || target == null || asked.count() > target.count())) {
      target = asked.count() > 1 ? asked : null;
    }
  }

  /** The target handed over by the entity's previous incarnation, unless one is set already. */
  void restore(Replication handedOver) {
    if (handedOver != null && target == null) {
      target = handedOver;
    }
  }

  void clear() {
    target = null;
    asks = null;
  }

  boolean active() {
    return target != null;
  }

  /** The target, or null. */
  Replication target() {
    return target;
  }

  /** Copies wanted (0 = no target). */
  int wanted() {
    return target == null ? 0 : target.count();
  }

  /** What the entity knows of its peers for one round. */
  record Holders(int liveCopies, Set<String> peerIds, Set<String> completeIds,
      Replication.Places places) {}

  /**
   * One round: forgets asks that ran out or were answered with a copy, then asks hosts for the
   * copies still missing. @return the hosts asked now (empty when none was needed or found)
   */
  List<String> round(Holders holders, long contentLength, Map<String, HostStatus> alive,
      long now) {
    if (target == null) {
      asks = null;
      return List.of();
    }
    if (asks != null) {
      asks.entrySet().removeIf(e -> e.getValue() < now
          || holders.completeIds().contains(e.getKey()));
    }
    int missing = target.count() - holders.liveCopies() - pendingAsks();
    if (missing <= 0) {
      return List.of();
    }
    Set<String> exclude = new HashSet<>(holders.peerIds());
    if (asks != null) {
      exclude.addAll(asks.keySet());
    }
    Replication.Places taken = holders.places();
    for (String excluded : exclude) {
      HostStatus h = alive.get(excluded);
      if (h != null) {
        taken.add(h.idc(), h.location());
      }
    }
    List<String> hosts = Replication.targets(taskId, missing, alive, exclude, contentLength,
        taken);
    if (hosts.isEmpty()) {
      return hosts;
    }
    ReplicateRequest request;
    try {
      request = ReplicateRequest.newBuilder().setTaskId(taskId).setUrl(target.url())
          .setUrlMeta(UrlMeta.parseFrom(target.urlMeta())).setReplicaCount(target.count())
          .build();
    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
      target = null; // checked when announced: cannot happen, and must not repeat
      return List.of();
    }
    if (asks == null) {
      asks = new HashMap<>(4);
    }
    for (String host : hosts) {
      HostStatus h = alive.get(host);
      asks.put(host, now + PATIENCE.toMillis());
      daemons.replicate(host, h.ip(), h.rpcPort(), request);
    }
    return hosts;
  }

  int pendingAsks() {
    return asks == null ? 0 : asks.size();
  }
}
