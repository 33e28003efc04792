package dev.dfcache.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Every host's interface counter of bytes sent, sampled every 0.5 s while a swarm runs: where the
 * swarm's time goes (a host idle while others wait for pieces it could send, the seed busy to
 * the end). Host 0 is the seed.
 */
final class UploadTimeline {
  interface Counter {
    long read(int host) throws Exception;
  }

  static final long PERIOD_MS = 500;

  private final int hosts;
  private final Counter counter;
  private final long[] first;
  private final List<long[]> samples = new ArrayList<>(); // bytes sent since the start, per host
  private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "bench-upload-timeline");
    t.setDaemon(true);
    return t;
  });

  private UploadTimeline(int hosts, Counter counter) throws Exception {
    this.hosts = hosts;
    this.counter = counter;
    this.first = readAll();
  }

  static UploadTimeline start(int hosts, Counter counter) throws Exception {
    UploadTimeline t = new UploadTimeline(hosts, counter);
    t.timer.scheduleAtFixedRate(t::sample, PERIOD_MS, PERIOD_MS, TimeUnit.MILLISECONDS);
    return t;
  }

  void stop() throws InterruptedException {
    timer.shutdown();
    timer.awaitTermination(5, TimeUnit.SECONDS);
    sample();
  }

  private long[] readAll() throws Exception {
    long[] now = new long[hosts];
    for (int i = 0; i < hosts; i++) {
      now[i] = counter.read(i);
    }
    return now;
  }

  private synchronized void sample() {
    try {
      long[] now = readAll();
      for (int i = 0; i < hosts; i++) {
        now[i] -= first[i];
      }
      samples.add(now);
    } catch (Exception e) {
      // a missed sample only coarsens the table
    }
  }

  /** Each host's bytes sent over the swarm's wall time, as a share of what its cap allows. */
  synchronized double[] useOfCap(long capBytesPerSecond, double wallSeconds) {
    double[] use = new double[hosts];
    long[] last = samples.isEmpty() ? new long[hosts] : samples.get(samples.size() - 1);
    for (int i = 0; i < hosts; i++) {
      use[i] = last[i] / (capBytesPerSecond * wallSeconds);
    }
    return use;
  }

  synchronized String summary(long capBytesPerSecond, double wallSeconds) {
    double[] use = useOfCap(capBytesPerSecond, wallSeconds);
    double peers = 0;
    for (int i = 1; i < hosts; i++) {
      peers += use[i];
    }
    return String.format(Locale.ROOT, "upload used %.0f%% of the cap on the seed, %.0f%% on the "
        + "downloaders (mean)", 100 * use[0], 100 * peers / (hosts - 1));
  }

  /** One line per 0.5 s: each host's upload rate in that interval as a share of the cap. */
  synchronized String table(long capBytesPerSecond) {
    StringBuilder b = new StringBuilder("# every host's upload in each 0.5 s, % of the cap (host 0: "
        + "the seed)\n#   t");
    for (int i = 0; i < hosts; i++) {
      b.append(String.format(Locale.ROOT, " %5s", "h" + i));
    }
    b.append('\n');
    long[] prev = new long[hosts];
    for (int s = 0; s < samples.size(); s++) {
      long[] now = samples.get(s);
      b.append(String.format(Locale.ROOT, "%5.1f", (s + 1) * PERIOD_MS / 1000.0));
      for (int i = 0; i < hosts; i++) {
        double rate = (now[i] - prev[i]) / (PERIOD_MS / 1000.0);
        b.append(String.format(Locale.ROOT, " %5.0f", 100 * rate / capBytesPerSecond));
      }
      b.append('\n');
      prev = now;
    }
    return b.toString();
  }
}
