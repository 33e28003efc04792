package dev.dfcache.manager.db;

import dev.dfcache.manager.db.MetricRepository.Sample;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The rules of {@link MetricRollups#minutes} worked out in plain Java on the rows as stored, for
 * tests to check the database's answer against (the repository test and OverviewIT).
 */
public final class MinuteReference {
  private MinuteReference() {}

  /** One minute as the rules say. */
  public static final class Expected {
    public long schedulers;
    public long peers;
    public long tasks;
    /** bytes up, bytes down, pieces failed, stat count and micros, export count and micros */
    public final long[] counters = new long[7];
    public double upRate;
    public double downRate;
  }

  /** The rules of {@link MetricRollups#minutes}, applied to the rows as inserted. */
  public static Map<Long, Expected> minutes(List<Sample> all, long cluster, long since,
      long until) {
    long from = MetricRollups.minuteOf(since);
    Map<String, List<Sample>> byComponent = new LinkedHashMap<>();
    for (Sample s : all) {
      if (s.clusterId() == cluster && s.at() >= from - MetricRollups.LOOKBACK_MS
          && s.at() < until) {
        byComponent.computeIfAbsent(s.kind() + "/" + s.componentId(), k -> new ArrayList<>())
            .add(s);
      }
    }
    Map<Long, Expected> out = new TreeMap<>();
    for (List<Sample> list : byComponent.values()) {
      list.sort(Comparator.comparingLong(Sample::at)); // stable: ties keep insertion order
      // per minute of this component: highest tasks, counted increments, time covered
      Map<Long, long[]> mine = new TreeMap<>();
      for (int i = 0; i < list.size(); i++) {
        Sample s = list.get(i);
        if (s.at() < from) {
          continue;
        }
        long minute = MetricRollups.minuteOf(s.at());
        long[] acc = mine.computeIfAbsent(minute, k -> new long[9]);
        acc[0] = Math.max(acc[0], s.tasks());
        if (i == 0) {
          continue;
        }
        Sample p = list.get(i - 1);
        long[] d = {s.bytesUploaded() - p.bytesUploaded(),
            s.bytesDownloaded() - p.bytesDownloaded(), s.piecesFailed() - p.piecesFailed(),
            s.statCount() - p.statCount(), s.statMicros() - p.statMicros(),
            s.exportCount() - p.exportCount(), s.exportMicros() - p.exportMicros()};
        long span = s.at() - p.at();
        boolean ok = span > 0;
        for (long v : d) {
          ok &= v >= 0;
        }
        if (ok) {
          for (int k = 0; k < 7; k++) {
            acc[1 + k] += d[k];
          }
          acc[8] += span;
        }
      }
      String kind = list.get(0).kind();
      for (Map.Entry<Long, long[]> m : mine.entrySet()) {
        Expected e = out.computeIfAbsent(m.getKey(), k -> new Expected());
        long[] acc = m.getValue();
        if (kind.equals("peer")) {
          e.peers++;
          e.tasks += acc[0];
        } else {
          e.schedulers++;
        }
        for (int k = 0; k < 7; k++) {
          e.counters[k] += acc[1 + k];
        }
        if (acc[8] > 0) {
          e.upRate += acc[1] * 1000.0 / acc[8];
          e.downRate += acc[2] * 1000.0 / acc[8];
        }
      }
    }
    return out;
  }
}
