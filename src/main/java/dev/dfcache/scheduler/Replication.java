package dev.dfcache.scheduler;

import dev.dfcache.cluster.CborSerializable;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A task's replica target, as its import asked: how many complete copies to keep on distinct
 * hosts, and what a new holder needs to download it (its url and url meta, as announced).
 */
public record Replication(int count, String url, byte[] urlMeta) implements CborSerializable {

  /**
   * Up to {@code wanted} hosts to ask for a copy: alive, not holding or fetching the task, not
   * asked already; spread by a hash of task and host, so that the tasks of one importer land on
   * different hosts and two scheduler nodes pick alike.
   */
  static List<String> targets(String taskId, int wanted, Map<String, HostStatus> alive,
      Set<String> exclude) {
    List<String> candidates = new ArrayList<>();
    for (String host : alive.keySet()) {
      if (!exclude.contains(host)) {
        candidates.add(host);
      }
    }
    candidates.sort(Comparator.comparingInt((String host) -> (taskId + "|" + host).hashCode())
        .thenComparing(Comparator.naturalOrder()));
    return candidates.subList(0, Math.max(0, Math.min(wanted, candidates.size())));
  }
}
