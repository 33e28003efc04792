package dev.dfcache.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dfcache.api.dfdaemon.ExportTaskRequest;
import dev.dfcache.api.dfdaemon.ImportTaskRequest;
import dev.dfcache.api.dfdaemon.StatTaskRequest;
import dev.dfcache.common.TaskIds;
import dev.dfcache.e2e.LocalCluster.Proc;
import dev.dfcache.rpc.Channels;
import dev.dfcache.rpc.DaemonRpc;
import io.grpc.ManagedChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Scheduler nodes lost and leaving under load: 3 scheduler processes, 3 dfdaemons, 200 tasks,
 * continuous stat and export calls through the daemons. No task is re-imported by anyone.
 */
class SchedulerFailoverIT {
  static final int TASKS = 200;
  static final Duration CALL = Duration.ofSeconds(20);
  Path work;
  LocalCluster cluster;
  final Channels channels = new Channels();
  final List<Proc> schedulers = new ArrayList<>();
  final List<Proc> daemons = new ArrayList<>();

  @BeforeEach
  void setUp() throws Exception {
    cluster = LocalCluster.inTempDir("dfcache-failover");
    work = cluster.work();
    configure(cluster);
    int c1 = LocalCluster.freePort();
    int c2 = LocalCluster.freePort();
    int c3 = LocalCluster.freePort();
    String seed = "127.0.0.1:" + c1;
    schedulers.add(cluster.scheduler("s1", List.of(seed), c1));
    schedulers.add(cluster.scheduler("s2", List.of(seed), c2));
    schedulers.add(cluster.scheduler("s3", List.of(seed), c3));
    for (int i = 0; i < 3; i++) {
      // each daemon starts with a different scheduler, and knows all three
      String list = String.join(",", schedulers.get(i).grpc(),
          schedulers.get((i + 1) % 3).grpc(), schedulers.get((i + 2) % 3).grpc());
      daemons.add(cluster.daemon("d" + (i + 1), list));
    }
    Thread.sleep(3000); // the three regions register and the first rebalance passes
    List<CompletableFuture<?>> imports = new ArrayList<>();
    for (int t = 0; t < TASKS; t++) {
      Path f = Files.writeString(work.resolve("f" + t), "task " + t + " ".repeat(t));
      imports.add(DaemonRpc.IMPORT_TASK.callAsync(ch(daemons.get(t % 3)),
          ImportTaskRequest.newBuilder().setUrl(TaskIds.urlForCid("t" + t))
              .setPath(f.toString()).build(), CALL).toCompletableFuture());
    }
    CompletableFuture.allOf(imports.toArray(CompletableFuture[]::new)).join();
  }

  /** Before any process starts: SchedulerFailoverTlsIT turns mutual TLS on. */
  void configure(LocalCluster cluster) throws Exception {}

  @AfterEach
  void tearDown() throws Exception {
    channels.close();
    cluster.close();
  }

  ManagedChannel ch(Proc p) {
    return channels.local(p.socket);
  }

  /** A stat of task t through a daemon that does not hold it, so the scheduler must answer. */
  boolean remoteStat(int t) {
    return remoteStatError(t) == null;
  }

  /** As {@link #remoteStat}, but says why it failed (null: it did not). */
  String remoteStatError(int t) {
    try {
      DaemonRpc.STAT_TASK.call(ch(daemons.get((t + 1) % 3)), StatTaskRequest.newBuilder()
          .setUrl(TaskIds.urlForCid("t" + t)).build(), CALL);
      return null;
    } catch (RuntimeException e) {
      return "stat t" + t + ": " + e.getMessage();
    }
  }

  /** Continuous stats and exports from 4 threads; failures are recorded with their times. */
  final class Load implements AutoCloseable {
    final AtomicBoolean running = new AtomicBoolean(true);
    final ConcurrentLinkedQueue<Long> failures = new ConcurrentLinkedQueue<>();
    /** What each failed call said, in order, so that a failure names its cause. */
    final ConcurrentLinkedQueue<String> reasons = new ConcurrentLinkedQueue<>();
    final AtomicLong calls = new AtomicLong();
    final List<Thread> threads = new ArrayList<>();
    final AtomicLong exportSeq = new AtomicLong();

    Load() {
      for (int i = 0; i < 4; i++) {
        Thread th = new Thread(() -> {
          while (running.get()) {
            int t = ThreadLocalRandom.current().nextInt(TASKS);
            String error = ThreadLocalRandom.current().nextInt(10) == 0
                ? exportError(t) : remoteStatError(t);
            calls.incrementAndGet();
            if (error != null) {
              failures.add(System.nanoTime());
              reasons.add(error);
            }
          }
        });
        th.start();
        threads.add(th);
      }
    }

    String exportError(int t) {
      Path out = work.resolve("load-" + exportSeq.incrementAndGet());
      try {
        DaemonRpc.EXPORT_TASK.call(ch(daemons.get((t + 2) % 3)), ExportTaskRequest.newBuilder()
            .setUrl(TaskIds.urlForCid("t" + t)).setOutput(out.toString()).build(), CALL);
        return null;
      } catch (RuntimeException e) {
        return "export t" + t + ": " + e.getMessage();
      } finally {
        out.toFile().delete();
      }
    }

    @Override
    public void close() throws InterruptedException {
      running.set(false);
      for (Thread th : threads) {
        th.join();
      }
    }
  }

  /**
   * Sweeps all tasks (stats through daemons that do not hold them) until one sweep has no failure;
   * returns the seconds from {@code since} to the last failed call: when service was restored.
   */
  double secondsUntilAllTasksAnswer(long since, int limitSeconds) throws InterruptedException {
    long lastFailure = since;
    while (System.nanoTime() - since < limitSeconds * 1_000_000_000L) {
      boolean all = true;
      for (int t = 0; t < TASKS; t++) {
        if (!remoteStat(t)) {
          all = false;
          lastFailure = System.nanoTime();
        }
      }
      if (all) {
        return (lastFailure - since) / 1e9;
      }
    }
    return Double.POSITIVE_INFINITY;
  }

  @Test
  void aKilledSchedulerNodeLosesNoTaskAndAGracefulLeaveFailsNoCall() throws Exception {
    for (int t = 0; t < TASKS; t++) {
      assertTrue(remoteStat(t), "task " + t + " before any failure");
    }
    try (Load load = new Load()) {
      Thread.sleep(1000);
      long killedAt = System.nanoTime();
      cluster.kill(schedulers.get(1));
      double recovered = secondsUntilAllTasksAnswer(killedAt, 60);
      System.out.printf("kill -9 of a scheduler node: every task answers again after %.1f s%n",
          recovered);
      // The figure is reported (9.5-13.3 s on the 2-core dev machine, goal 15 s); the bound here
      // only catches "does not recover", so that a loaded CI machine cannot make it flaky.
      assertTrue(recovered <= 30, "recovery took " + recovered + " s");
      Thread.sleep(2000);
      long before = load.failures.size();
      long leftAt = System.nanoTime();
      cluster.stop(schedulers.get(2));
      double stopped = (System.nanoTime() - leftAt) / 1e9;
      Thread.sleep(8000);
      long failedDuringLeave = load.failures.size() - before;
      List<String> reasons = load.reasons.stream().skip(before).toList();
      System.out.printf("graceful leave took %.1f s; %d of %d calls under load failed during it"
          + " %s%n", stopped, failedDuringLeave, load.calls.get(), reasons);
      assertEquals(0, failedDuringLeave, "calls failed during a graceful leave: " + reasons);
    }
    for (int t = 0; t < TASKS; t++) {
      assertTrue(remoteStat(t), "task " + t + " after both");
    }
  }
}
