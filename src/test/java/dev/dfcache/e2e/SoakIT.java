package dev.dfcache.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dfcache.api.dfdaemon.DeleteTaskRequest;
import dev.dfcache.api.dfdaemon.ExportTaskRequest;
import dev.dfcache.api.dfdaemon.ImportTaskRequest;
import dev.dfcache.api.dfdaemon.StatTaskRequest;
import dev.dfcache.common.TaskIds;
import dev.dfcache.e2e.LocalCluster.Proc;
import dev.dfcache.rpc.Channels;
import dev.dfcache.rpc.DaemonRpc;
import io.grpc.ManagedChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * A soak: 16 clients run imports, stats, exports and deletes against two daemons for a while
 * ({@code -Ddfcache.soak.seconds}, 180 by default). No call may fail, and each daemon's heap
 * (after a full GC), open file descriptors and threads must be as flat at the end as after warm-up.
 */
class SoakIT {
  static final Duration CALL = Duration.ofSeconds(60);
  static final int STABLE = 20;

  record Footprint(long heapBytes, long fds, long threads) {
    static Footprint of(Process p) throws Exception {
      String jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd").toString();
      run(jcmd, "" + p.pid(), "GC.run");
      String heap = run(jcmd, "" + p.pid(), "GC.heap_info");
      long used = 0;
      for (String line : heap.split("\n")) {
        // young and old generations (serial, parallel) or the one G1 heap; not metaspace
        if (line.contains("generation") || line.contains("garbage-first heap")) {
          java.util.regex.Matcher m =
              java.util.regex.Pattern.compile("used (\\d+)K").matcher(line);
          if (m.find()) {
            used += Long.parseLong(m.group(1)) * 1024;
          }
        }
      }
      long fds;
      try (Stream<Path> s = Files.list(Path.of("/proc/" + p.pid() + "/fd"))) {
        fds = s.count();
      }
      long threads = Files.readAllLines(Path.of("/proc/" + p.pid() + "/status")).stream()
          .filter(l -> l.startsWith("Threads:")).mapToLong(l -> Long.parseLong(l.substring(8).trim()))
          .findFirst().orElse(-1);
      return new Footprint(used, fds, threads);
    }

    static String run(String... cmd) throws Exception {
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      p.waitFor(60, TimeUnit.SECONDS);
      return out;
    }
  }

  @Test
  void mixedLoadLeavesNoErrorAndNoLeak() throws Exception {
    int seconds = Integer.getInteger("dfcache.soak.seconds", 180);
    try (LocalCluster cluster = LocalCluster.inTempDir("dfcache-soak");
        Channels channels = new Channels()) {
      Path work = cluster.work();
      Proc scheduler = cluster.scheduler("scheduler");
      Proc a = cluster.daemon("a", scheduler.grpc());
      Proc b = cluster.daemon("b", scheduler.grpc());
      ManagedChannel ca = channels.local(a.socket);
      ManagedChannel cb = channels.local(b.socket);
      Random random = new Random(1);
      for (int i = 0; i < STABLE; i++) {
        byte[] data = new byte[64 * 1024 + random.nextInt(6 * 1024 * 1024)];
        random.nextBytes(data);
        Path f = Files.write(work.resolve("stable-" + i), data);
        DaemonRpc.IMPORT_TASK.call(ca, ImportTaskRequest.newBuilder()
            .setUrl(TaskIds.urlForCid("stable-" + i)).setPath(f.toString()).build(), CALL);
      }
      AtomicLong ops = new AtomicLong();
      AtomicLong seq = new AtomicLong();
      ConcurrentLinkedQueue<String> errors = new ConcurrentLinkedQueue<>();
      java.util.concurrent.atomic.AtomicBoolean dumped =
          new java.util.concurrent.atomic.AtomicBoolean();
      long warmupEnd = System.nanoTime() + TimeUnit.SECONDS.toNanos(Math.min(15, seconds / 4));
      long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
      List<Thread> clients = new ArrayList<>();
      for (int c = 0; c < 16; c++) {
        Thread t = new Thread(() -> {
          while (System.nanoTime() < end) {
            try {
              oneOperation(work, ca, cb, seq.incrementAndGet());
              ops.incrementAndGet();
            } catch (Exception e) {
              errors.add(e.toString());
              if (dumped.compareAndSet(false, true)) {
                dumpThreads(List.of(scheduler, a, b)); // while the trouble is on
              }
            }
          }
        });
        t.start();
        clients.add(t);
      }
      while (System.nanoTime() < warmupEnd) {
        Thread.sleep(200);
      }
      Footprint aStart = Footprint.of(a.process);
      Footprint bStart = Footprint.of(b.process);
      for (Thread t : clients) {
        t.join();
      }
      Thread.sleep(2000); // let the last uploads and downloads wind down
      Footprint aEnd = Footprint.of(a.process);
      Footprint bEnd = Footprint.of(b.process);
      System.out.printf("soak: %d operations in %d s, %d errors%n  a: %s -> %s%n  b: %s -> %s%n",
          ops.get(), seconds, errors.size(), aStart, aEnd, bStart, bEnd);
      // by kind (the message without task ids and numbers), with the first time each was seen:
      // a failure that starts a cascade is then told from the cascade
      java.util.Map<String, Long> kinds = new java.util.TreeMap<>();
      errors.forEach(e -> kinds.merge(e.replaceAll("[0-9a-f]{64}", "<task>")
          .replaceAll("[0-9]+", "N"), 1L, Long::sum));
      kinds.forEach((k, n) -> System.out.printf("soak: %d x %s%n", n, k));
      assertEquals(List.of(), errors.stream().limit(5).toList(), errors.size() + " operations failed");
      for (Footprint[] pair : new Footprint[][] {{aStart, aEnd}, {bStart, bEnd}}) {
        assertTrue(pair[1].heapBytes() <= pair[0].heapBytes() * 1.5 + 32L * 1024 * 1024,
            "heap grew: " + pair[0] + " -> " + pair[1]);
        assertTrue(pair[1].fds() <= pair[0].fds() + 16, "file descriptors grew: " + pair[0]
            + " -> " + pair[1]);
        assertTrue(pair[1].threads() <= pair[0].threads() + 8, "threads grew: " + pair[0]
            + " -> " + pair[1]);
      }
    }
  }

  /**
   * At the first failed call, each process's threads (jcmd Thread.print) into target/it-logs:
   * a stuck lock or dispatcher shows there, and is gone by the end of the run.
   */
  static void dumpThreads(List<Proc> procs) {
    String jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd").toString();
    for (Proc p : procs) {
      try {
        Path out = Path.of("target", "it-logs", "soak-threads-" + p.name + "-" + System.nanoTime()
            + ".txt").toAbsolutePath();
        Files.createDirectories(out.getParent());
        Files.writeString(out, Footprint.run(jcmd, "" + p.process.pid(), "Thread.print"));
        System.out.println("soak: first failure; threads of " + p.name + " in " + out);
      } catch (Exception e) {
        System.out.println("soak: no thread dump of " + p.name + ": " + e);
      }
    }
  }

  /** One random operation that must succeed: stat, export, import + delete, or drop a copy. */
  static void oneOperation(Path work, ManagedChannel ca, ManagedChannel cb, long n)
      throws Exception {
    int stable = ThreadLocalRandom.current().nextInt(STABLE);
    String cid = "stable-" + stable;
    switch (ThreadLocalRandom.current().nextInt(10)) {
      case 0, 1, 2, 3 -> DaemonRpc.STAT_TASK.call(cb, StatTaskRequest.newBuilder()
          .setUrl(TaskIds.urlForCid(cid)).build(), CALL);
      case 4, 5, 6 -> {
        Path out = work.resolve("out-" + n);
        DaemonRpc.EXPORT_TASK.call(cb, ExportTaskRequest.newBuilder()
            .setUrl(TaskIds.urlForCid(cid)).setOutput(out.toString()).build(), CALL);
        Files.delete(out);
      }
      case 7, 8 -> {
        Path in = Files.write(work.resolve("in-" + n), ("fresh " + n).getBytes());
        String fresh = "fresh-" + n;
        DaemonRpc.IMPORT_TASK.call(cb, ImportTaskRequest.newBuilder()
            .setUrl(TaskIds.urlForCid(fresh)).setPath(in.toString()).build(), CALL);
        DaemonRpc.DELETE_TASK.call(cb, DeleteTaskRequest.newBuilder()
            .setUrl(TaskIds.urlForCid(fresh)).build(), CALL);
        Files.delete(in);
      }
      default -> DaemonRpc.DELETE_TASK.call(cb, DeleteTaskRequest.newBuilder()
          .setUrl(TaskIds.urlForCid(cid)).setLocalOnly(true).build(), CALL);
    }
  }
}
