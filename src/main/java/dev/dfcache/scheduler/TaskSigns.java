package dev.dfcache.scheduler;

import dev.dfcache.cluster.CborSerializable;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * The contents a task is announced with: one holder group per piece-list sign, in the order they
 * were first announced.
 *
 * <p>A task whose id does not name its content (a plain cid or tag) has one group: whoever holds
 * it first defines it, and an announce of other content is refused while a holder of the first is
 * alive (there is no digest to decide with). A <em>content-addressed</em> task (its url names a
 * {@code sha256:} cid or a url_meta digest, which its task id is derived from) takes every
 * announced content as a group of its own: an early announce of other bytes under the cid can no
 * longer keep the owner's import out. Downloaders decide: each downloads one group, checks the
 * whole content against the digest, and reports a group whose bytes are not what the cid names
 * ({@link #refute}); after reports from {@code reportersToDrop} distinct hosts the group is
 * dropped, and its sign and its holders' announces for this task are refused for {@link
 * #QUARANTINE}. A group a downloader verified (it completed a download of it) is offered first.
 *
 * <p>Not thread-safe: owned by one {@link TaskEntity}.
 */
final class TaskSigns {
  /** How long a disproved sign, and announces of this task by its holders, stay refused. */
  static final Duration QUARANTINE = Duration.ofMinutes(30);

  private final int reportersToDrop;
  private final LinkedHashMap<String, TaskInfo> groups = new LinkedHashMap<>(2);
  /** Signs a downloader verified against the task's digest (it completed a download). */
  private final Set<String> confirmed = new HashSet<>(2);
  /** Sign -> hosts that found its content wrong; empty until the first report. */
  private final Map<String, Set<String>> refutedBy = new HashMap<>(0);
  /** Disproved signs and the peers that held them -> refused until (epoch ms). */
  private final Map<String, Long> quarantinedSigns = new HashMap<>(0);
  private final Map<String, Long> quarantinedPeers = new HashMap<>(0);
  private boolean contentAddressed;

  TaskSigns(int reportersToDrop) {
    this.reportersToDrop = Math.max(1, reportersToDrop);
  }

  /** What travels with a hand-off. */
  record Snapshot(List<TaskInfo> groups, List<String> confirmed, boolean contentAddressed,
      Map<String, Long> quarantinedSigns, Map<String, Long> quarantinedPeers)
      implements CborSerializable {}

  Snapshot snapshot() {
    return new Snapshot(List.copyOf(groups.values()), List.copyOf(confirmed), contentAddressed,
        Map.copyOf(quarantinedSigns), Map.copyOf(quarantinedPeers));
  }

  void restore(Snapshot s) {
    if (s == null) {
      return;
    }
    contentAddressed |= s.contentAddressed();
    for (TaskInfo info : s.groups()) {
      groups.putIfAbsent(info.pieceListSign(), info);
    }
    confirmed.addAll(s.confirmed());
    s.quarantinedSigns().forEach((k, v) -> quarantinedSigns.merge(k, v, Math::max));
    s.quarantinedPeers().forEach((k, v) -> quarantinedPeers.merge(k, v, Math::max));
  }

  boolean contentAddressed() {
    return contentAddressed;
  }

  /**
   * Learnt from any announce or registration whose url and meta give the task id and name a
   * digest: the id is a hash of them, so nobody can make a content-addressed task look otherwise.
   */
  void markContentAddressed() {
    contentAddressed = true;
  }

  boolean isEmpty() {
    return groups.isEmpty();
  }

  int size() {
    return groups.size();
  }

  boolean has(String sign) {
    return groups.containsKey(sign);
  }

  TaskInfo info(String sign) {
    return groups.get(sign);
  }

  Collection<TaskInfo> all() {
    return groups.values();
  }

  /** The group stat shows: the first verified one, else the first announced; null when none. */
  TaskInfo preferred() {
    for (TaskInfo info : groups.values()) {
      if (confirmed.contains(info.pieceListSign())) {
        return info;
      }
    }
    return groups.isEmpty() ? null : groups.values().iterator().next();
  }

  /** Adds a group, or replaces a group's info (same sign: a new expiry, url or tag). */
  void put(TaskInfo info) {
    groups.put(info.pieceListSign(), info);
  }

  void remove(String sign) {
    groups.remove(sign);
    confirmed.remove(sign);
    refutedBy.remove(sign);
  }

  /** Forgets the groups (a delete or an expiry); quarantines stay, they are about the cid. */
  void clear() {
    groups.clear();
    confirmed.clear();
    refutedBy.clear();
  }

  /** A downloader completed the group and, being content-checked, vouches for it. */
  void confirm(String sign) {
    if (contentAddressed && groups.containsKey(sign)) {
      confirmed.add(sign);
    }
  }

  /**
   * Why an announce of this task by {@code peerId} with {@code sign} is refused, or null: the
   * sign was disproved, or the peer held a disproved sign (whatever it announces now).
   */
  String refusal(String sign, String peerId, long now) {
    if (refusedAt(quarantinedSigns, sign, now)) {
      return "content with piece-list sign " + sign + " was found not to match the task's digest";
    }
    if (refusedAt(quarantinedPeers, peerId, now)) {
      return "peer " + peerId + " held content that was found not to match the task's digest";
    }
    return null;
  }

  private static boolean refusedAt(Map<String, Long> until, String key, long now) {
    Long at = until.get(key);
    if (at == null) {
      return false;
    }
    if (at > now) {
      return true;
    }
    until.remove(key);
    return false;
  }

  /**
   * The group a downloader is registered with: verified groups first, then in announce order,
   * skipping those it refused; one with a live holder before one without. Null when it refused
   * every group.
   */
  String choose(Collection<String> refused, Predicate<String> hasLiveHolder) {
    List<String> order = new ArrayList<>(groups.size());
    for (String sign : groups.keySet()) {
      if (confirmed.contains(sign)) {
        order.add(sign);
      }
    }
    for (String sign : groups.keySet()) {
      if (!confirmed.contains(sign)) {
        order.add(sign);
      }
    }
    order.removeAll(refused);
    for (String sign : order) {
      if (hasLiveHolder.test(sign)) {
        return sign;
      }
    }
    return order.isEmpty() ? null : order.get(0);
  }

  /**
   * A downloader on {@code host} found the group's content wrong. True when enough distinct hosts
   * did: the caller then {@link #drop}s it. Reports on a task that is not content-addressed, or
   * of a group it does not have, count for nothing.
   */
  boolean refute(String sign, String host) {
    if (!contentAddressed || !groups.containsKey(sign)) {
      return false;
    }
    Set<String> hosts = refutedBy.computeIfAbsent(sign, s -> new HashSet<>(2));
    hosts.add(host);
    return hosts.size() >= reportersToDrop;
  }

  /** Drops a disproved group: its sign and its holders' announces are refused for a while. */
  void drop(String sign, Collection<String> holderIds, long now) {
    remove(sign);
    long until = now + QUARANTINE.toMillis();
    quarantinedSigns.put(sign, until);
    for (String id : holderIds) {
      quarantinedPeers.put(id, until);
    }
  }

  /** Groups whose TTL ran out by {@code now}. */
  List<String> expiredAt(long now) {
    List<String> out = new ArrayList<>(1);
    for (TaskInfo info : groups.values()) {
      if (info.expiredAt(now)) {
        out.add(info.pieceListSign());
      }
    }
    return out;
  }
}
