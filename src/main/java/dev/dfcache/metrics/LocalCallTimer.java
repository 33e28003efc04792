package dev.dfcache.metrics;

import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;

/**
 * Times the calls users make on a daemon's local API (stat, export), failures included: what a
 * user waits for, as the manager's latency charts show it (their count and total time go into
 * the keep-alive summary; the histogram is on /metrics).
 */
public final class LocalCallTimer {
  private final Histogram seconds;

  LocalCallTimer(Histogram seconds) {
    this.seconds = seconds;
  }

  /** Runs the call and observes how long its stage took to complete, by method. */
  public <T> CompletionStage<T> time(String method, Supplier<CompletionStage<T>> call) {
    long start = System.nanoTime();
    CompletionStage<T> stage;
    try {
      stage = call.get();
    } catch (RuntimeException e) {
      observe(method, start);
      throw e;
    }
    return stage.whenComplete((r, t) -> observe(method, start));
  }

  private void observe(String method, long startNanos) {
    seconds.labelValues(method).observe((System.nanoTime() - startNanos) / 1e9);
  }

  /** Calls of a method so far, and their total time in microseconds. */
  public Totals totals(String method) {
    for (HistogramSnapshot.HistogramDataPointSnapshot p : seconds.collect().getDataPoints()) {
      if (method.equals(p.getLabels().get("method"))) {
        return new Totals(p.getCount(), Math.round(p.getSum() * 1e6));
      }
    }
    return new Totals(0, 0);
  }

  /** A method's call count and total time. */
  public record Totals(long count, long micros) {}
}
