package dev.dfcache.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dfcache.api.dfdaemon.DeleteTaskRequest;
import dev.dfcache.api.dfdaemon.ExportTaskRequest;
import dev.dfcache.api.dfdaemon.ImportTaskRequest;
import dev.dfcache.common.TaskIds;
import dev.dfcache.e2e.LocalCluster.Proc;
import dev.dfcache.rpc.Channels;
import dev.dfcache.rpc.DaemonRpc;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The scheduler's state stays bounded: thousands of tasks are imported, some exported, all
 * deleted, while a peer dies and another joins; afterwards the scheduler holds no task entity
 * and no task peer, as before the run (its own gauges say so).
 */
class ChurnIT {
  static final Duration CALL = Duration.ofSeconds(60);
  static final int TASKS = 1500;
  LocalCluster cluster;
  Channels channels = new Channels();

  @BeforeEach
  void setUp() throws Exception {
    cluster = LocalCluster.inTempDir("dfcache-churn");
    cluster.setJvmOptions("-Ddfcache.scheduler.deletion-memory=10s",
        "-Ddfcache.scheduler.forget-host-after=3s");
  }

  @AfterEach
  void tearDown() {
    channels.close();
    cluster.close();
  }

  static double gauge(Proc scheduler, String name) throws Exception {
    String body = LocalCluster.httpGet(LocalCluster.plainHttp(),
        URI.create("http://" + scheduler.grpc() + "/metrics"));
    for (String line : body.split("\n")) {
      if (line.startsWith(name + " ")) {
        return Double.parseDouble(line.substring(name.length() + 1).trim());
      }
    }
    throw new AssertionError(name + " not in the scheduler's metrics");
  }

  /** The scheduler's heap in use right after a full GC (jcmd GC.run), from its metrics. */
  static double heapAfterGc(Proc scheduler) throws Exception {
    Process gc = new ProcessBuilder("jcmd", Long.toString(scheduler.process.pid()), "GC.run")
        .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    assertEquals(0, gc.waitFor(), "jcmd GC.run");
    return gauge(scheduler, "jvm_memory_used_bytes{area=\"heap\"}");
  }

  void runAll(int threads, int n, java.util.function.IntConsumer step) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<?>> done = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        int k = i;
        done.add(pool.submit(() -> step.accept(k)));
      }
      for (Future<?> f : done) {
        f.get();
      }
    } finally {
      pool.shutdown();
    }
  }

  @Test
  void afterThousandsOfTasksComeAndGoTheSchedulerHoldsNothing() throws Exception {
    Proc scheduler = cluster.scheduler("scheduler");
    Proc a = cluster.daemon("a", scheduler.grpc());
    Proc b = cluster.daemon("b", scheduler.grpc());
    double heapBefore = heapAfterGc(scheduler);
    Path in = Files.createDirectories(cluster.work().resolve("in"));
    Path out = Files.createDirectories(cluster.work().resolve("out"));
    long t0 = System.nanoTime();
    runAll(8, TASKS, i -> {
      try {
        Path file = Files.writeString(in.resolve("f" + i), "churn task " + i);
        DaemonRpc.IMPORT_TASK.call(channels.local(a.socket), ImportTaskRequest.newBuilder()
            .setUrl(TaskIds.urlForCid("churn-" + i)).setPath(file.toString()).build(), CALL);
        if (i % 10 == 0) {
          DaemonRpc.EXPORT_TASK.call(channels.local(b.socket), ExportTaskRequest.newBuilder()
              .setUrl(TaskIds.urlForCid("churn-" + i)).setOutput(out.resolve("o" + i).toString())
              .build(), CALL);
        }
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
    double imported = (System.nanoTime() - t0) / 1e9;
    Thread.sleep(2500); // the gauges are refreshed every 2 s
    double peak = gauge(scheduler, "dfcache_scheduler_tasks");
    double peakPeers = gauge(scheduler, "dfcache_scheduler_task_peers");
    assertEquals(TASKS, peak, "one entity per task");

    // b dies holding 150 of them, c joins; then every task is deleted from the network
    cluster.kill(b);
    Proc c = cluster.daemon("c", scheduler.grpc());
    long t1 = System.nanoTime();
    runAll(8, TASKS, i -> DaemonRpc.DELETE_TASK.call(channels.local(i % 2 == 0 ? a.socket
            : c.socket), DeleteTaskRequest.newBuilder().setUrl(TaskIds.urlForCid("churn-" + i))
        .build(), CALL));
    double deleted = (System.nanoTime() - t1) / 1e9;

    long deadline = System.nanoTime() + 60_000_000_000L;
    double tasks = -1;
    double peers = -1;
    while (System.nanoTime() < deadline) {
      tasks = gauge(scheduler, "dfcache_scheduler_tasks");
      peers = gauge(scheduler, "dfcache_scheduler_task_peers");
      if (tasks == 0 && peers == 0) {
        break;
      }
      Thread.sleep(500);
    }
    System.out.printf("churn: %d tasks imported (every 10th exported) in %.1f s, peak %.0f "
            + "entities / %.0f task peers; all deleted in %.1f s; left: %.0f entities, %.0f "
            + "peers, %.1f s after the deletes%n", TASKS, imported, peak, peakPeers, deleted,
        tasks, peers, (System.nanoTime() - t1) / 1e9 - deleted);
    double heapAfter = heapAfterGc(scheduler);
    System.out.printf("churn: scheduler heap after GC %.1f MiB before, %.1f MiB after%n",
        heapBefore / (1 << 20), heapAfter / (1 << 20));
    assertEquals(0, tasks, "task entities left behind");
    assertTrue(heapAfter < heapBefore * 1.5 + (16 << 20),
        "heap after GC grew from " + heapBefore + " to " + heapAfter);
    assertEquals(0, peers, "task peers left behind");
    try (var files = Files.list(a.dataDir.resolve("tasks"))) {
      assertTrue(files.allMatch(d -> {
        try (var inside = Files.list(d)) {
          return inside.findAny().isEmpty();
        } catch (java.io.IOException e) {
          return false;
        }
      }), "nothing left on a");
    }
  }
}
