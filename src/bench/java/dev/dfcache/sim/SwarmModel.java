package dev.dfcache.sim;

/**
 * The swarm a simulation runs: N downloaders that all start at once on a task of {@code pieces}
 * pieces held whole by one seed; every host's upload capped at the same rate and shared fairly
 * among its uploads in progress (as tc's fair queueing shares a link between TCP flows); one-way
 * latency per message; downloads not capped (the netns bench caps uploads only). The policy
 * knobs default to the daemon's and scheduler's defaults (application.conf).
 */
public record SwarmModel(
    int downloaders,
    int pieces,
    long pieceBytes,
    /** every host's upload, bytes per second */
    double uploadBytesPerSecond,
    /** one way, per message */
    double latencyMs,
    /** scheduler: parent-limit */
    int parentLimit,
    /** daemon: requests-per-parent */
    int requestsPerParent,
    /** daemon: the first picks that are random rather than rarest (SwarmDownload.RANDOM_FIRST) */
    int randomFirst,
    /** daemon: max-uploads-per-task */
    int maxUploadsPerTask,
    /** daemon: max-concurrent-uploads (what a host reports as its upload limit) */
    int maxConcurrentUploads,
    /** how often a downloader is given a fresh set of parents, at most (scheduler pushes) */
    double parentRefreshMs,
    long seed) {

  /** The defaults, for N downloaders of a task of {@code pieces} 4 MiB pieces at 50 Mbit/s. */
  public static SwarmModel defaults(int downloaders, int pieces) {
    return new SwarmModel(downloaders, pieces, 4L << 20, 50e6 / 8, 0.5, 8, 3, 2, 3, 64, 1000,
        42);
  }

  public SwarmModel withSeed(long s) {
    return new SwarmModel(downloaders, pieces, pieceBytes, uploadBytesPerSecond, latencyMs,
        parentLimit, requestsPerParent, randomFirst, maxUploadsPerTask, maxConcurrentUploads,
        parentRefreshMs, s);
  }

  /** S / B: the time one host's upload takes to send the task once, in seconds. */
  public double sOverB() {
    return pieces * (double) pieceBytes / uploadBytesPerSecond;
  }
}
