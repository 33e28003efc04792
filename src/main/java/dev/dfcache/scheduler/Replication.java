package dev.dfcache.scheduler;

import dev.dfcache.cluster.CborSerializable;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A task's replica target, as its import asked: how many complete copies to keep on distinct
 * hosts, and what a new holder needs to download it (its url and url meta, as announced).
 */
public record Replication(int count, String url, byte[] urlMeta) implements CborSerializable {

  /** Where the copies are now: the IDCs and locations of the holders (and hosts asked). */
  record Places(Set<String> idcs, Set<String> locations) {
    static Places empty() {
      return new Places(new HashSet<>(), new HashSet<>());
    }

    void add(String idc, String location) {
      if (!idc.isEmpty()) {
        idcs.add(idc);
      }
      if (!location.isEmpty()) {
        locations.add(location);
      }
    }

    /** 2 for a new IDC, 1 for a new location only, 0 for a place that has a copy (or none set). */
    int novelty(HostStatus h) {
      if (!h.idc().isEmpty() && !idcs.contains(h.idc())) {
        return 2;
      }
      return !h.location().isEmpty() && !locations.contains(h.location()) ? 1 : 0;
    }
  }

  /**
   * Up to {@code wanted} hosts to ask for a copy, chosen one at a time: alive, not holding or
   * fetching the task, not asked already, with room for {@code contentLength} bytes when they
   * report their room; first in an IDC (then a location) that has no copy yet, then with the
   * most room, then spread by a hash of task and host, so that the tasks of one importer land on
   * different hosts and two scheduler nodes pick alike.
   */
  static List<String> targets(String taskId, int wanted, Map<String, HostStatus> alive,
      Set<String> exclude, long contentLength, Places taken) {
    List<String> candidates = new ArrayList<>();
    for (Map.Entry<String, HostStatus> e : alive.entrySet()) {
      long room = e.getValue().cacheFreeBytes();
      if (!exclude.contains(e.getKey()) && (room < 0 || room >= contentLength)) {
        candidates.add(e.getKey());
      }
    }
    List<String> chosen = new ArrayList<>();
    while (chosen.size() < wanted && !candidates.isEmpty()) {
      Comparator<String> best = Comparator
          .comparingInt((String host) -> taken.novelty(alive.get(host))).reversed()
          .thenComparing(Comparator.comparingLong(
              (String host) -> alive.get(host).cacheFreeBytes()).reversed())
          .thenComparingLong(host -> spread(taskId, host))
          .thenComparing(Comparator.naturalOrder());
      String pick = candidates.stream().min(best).orElseThrow();
      candidates.remove(pick);
      chosen.add(pick);
      taken.add(alive.get(pick).idc(), alive.get(pick).location());
    }
    return chosen;
  }

  /**
   * A well-mixed hash of task and host (SplitMix64's finalizer): String.hashCode of "task|host"
   * orders hosts alike for every task, which would send all of one importer's copies to one host.
   */
  static long spread(String taskId, String host) {
    long z = ((long) taskId.hashCode() << 32) ^ (host.hashCode() & 0xffffffffL);
    z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
    z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
    return z ^ (z >>> 31);
  }
}
