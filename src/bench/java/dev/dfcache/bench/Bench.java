package dev.dfcache.bench;

import com.google.protobuf.Message;
import dev.dfcache.api.common.PieceInfo;
import dev.dfcache.api.common.PiecePacket;
import dev.dfcache.api.common.UrlMeta;
import dev.dfcache.api.dfdaemon.DeleteTaskRequest;
import dev.dfcache.api.dfdaemon.ExportTaskRequest;
import dev.dfcache.api.dfdaemon.ImportTaskRequest;
import dev.dfcache.api.dfdaemon.StatTaskRequest;
import dev.dfcache.api.scheduler.AnnounceTaskRequest;
import dev.dfcache.api.scheduler.PeerHost;
import dev.dfcache.bench.BenchProcesses.Host;
import dev.dfcache.bench.BenchProcesses.Node;
import dev.dfcache.common.Digests;
import dev.dfcache.common.HostPort;
import dev.dfcache.common.TaskIds;
import dev.dfcache.rpc.Channels;
import dev.dfcache.rpc.DaemonRpc;
import dev.dfcache.rpc.SchedulerRpc;
import dev.dfcache.rpc.UnaryMethod;
import io.grpc.ManagedChannel;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;

/**
 * {@code bin/bench}: dfcache against the seed's figures and against baselines measured in the same
 * run (cp for import, nginx + curl for export), with real processes on 127.0.0.1 (and, for the
 * swarm as root, in network namespaces with tc caps: {@link NetnsHosts}). Prints a table and
 * writes bench-results.json. Timings are only ever reported here, never asserted in tests.
 */
public final class Bench {
  static final long MIB = 1 << 20;
  private static final Duration CALL = Duration.ofMinutes(10);

  private final boolean quick;
  /** --profile: JFR on both daemons of the largest export and of the first export after start. */
  boolean profile;
  /** --tls: certificates every server and daemon on 127.0.0.1 runs with; null = plaintext. */
  private Path tlsDir;
  private final boolean large;
  /** --only seed|cli|swarm|scale: one part of the run. */
  private final String only;
  private final Path work;
  private final Path jar;
  private final Channels channels = new Channels();
  private final Map<String, Object> json = new LinkedHashMap<>();

  record Row(String figure, String dfcache, String baseline, String ratio, String goal) {}

  private final List<Row> rowList = new ArrayList<>();

  /** Records a figure and shows it at once, so that a long run shows its progress. */
  private void record(Row r) {
    System.out.printf("  %-60s %s %s%n", r.figure(), r.dfcache(),
        r.baseline().isEmpty() ? "" : "(baseline " + r.baseline() + ", ratio " + r.ratio() + ")");
    rowList.add(r);
  }

  Bench(boolean quick, boolean large, String only, Path work, Path jar) {
    this.quick = quick;
    this.only = only;
    this.large = large;
    this.work = work;
    this.jar = jar;
  }

  public static void main(String[] args) throws Exception {
    boolean quick = Arrays.asList(args).contains("--quick");
    boolean large = Arrays.asList(args).contains("--large");
    // The product's jar (the harness itself lives in target/test-classes, not in it)
    Path jar = Path.of(dev.dfcache.Main.class.getProtectionDomain().getCodeSource().getLocation()
        .toURI());
    Path work = Files.createTempDirectory("dfcache-bench");
    // nginx's workers run as an unprivileged user: let them read the files they serve.
    Files.setPosixFilePermissions(work,
        java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
    int onlyAt = Arrays.asList(args).indexOf("--only");
    String only = onlyAt >= 0 && onlyAt + 1 < args.length ? args[onlyAt + 1] : "";
    Bench bench = new Bench(quick, large, only, work, jar);
    bench.profile = Arrays.asList(args).contains("--profile");
    if (Arrays.asList(args).contains("--tls")) {
      // mutual TLS on every hop of the processes on 127.0.0.1 (the seed's table, limit, cli)
      if (dev.dfcache.tls.CertsCommand.run(work.resolve("pki").toString(), "127.0.0.1") != 0) {
        throw new IllegalStateException("could not make certificates");
      }
      bench.tlsDir = work.resolve("pki").resolve("127.0.0.1");
    }
    try {
      bench.run();
    } finally {
      bench.channels.close();
      if (bench.tlsChannels != null) {
        bench.tlsChannels.close();
      }
      if (Arrays.asList(args).contains("--keep")) {
        System.out.println("kept the work dir (process logs, data dirs): " + work);
      } else {
        deleteTree(work);
      }
    }
    System.exit(0);
  }

  void run() throws Exception {
    if (tlsDir != null) {
      System.out.println("mutual TLS (--tls) on every hop of the seed, limit and cli parts; "
          + "the swarm and scale parts run in plaintext");
    }
    System.out.printf("dfcache bench (%s), %d cores, work dir %s%n",
        quick ? "quick" : "full", Runtime.getRuntime().availableProcessors(), work);
    if (selected("seed") || selected("latency") || selected("import") || selected("export")) {
      seedTable();
    }
    if (selected("limit")) {
      limitHonesty();
    }
    if (selected("cli")) {
      wholeProcessStat();
    }
    if (selected("swarm")) {
      swarm();
    }
    if (selected("scale")) {
      schedulerScale();
    }
    if (only.equals("swarm-sim")) {
      swarmSimulation();
    }
    printTable();
    writeJson(Path.of("bench-results.json"));
  }

  /**
   * --only swarm-sim: the swarm policies (ParentEvaluator, PiecePicker, UploadSlots) in a
   * discrete-event model of N hosts with capped uploads; no processes, no sockets.
   */
  private void swarmSimulation() {
    int pieces = Integer.getInteger("bench.sim.pieces", 64);
    // 1,000 hosts: not yet (the model takes ~95 s for 100 hosts of 64 pieces on the reference
    // machine; -Dbench.sim.peers=10,100,1000 to try)
    List<Integer> sizes = Arrays.stream(System.getProperty("bench.sim.peers", quick ? "10"
        : "10,100").split(",")).map(String::trim).map(Integer::valueOf).toList();
    System.out.println("swarm simulation: " + pieces + " pieces of 4 MiB, every host's upload "
        + "50 Mbit/s, 0.5 ms one way, the policies' defaults");
    for (int n : sizes) {
      var r = new dev.dfcache.sim.SwarmSimulation(dev.dfcache.sim.SwarmModel.defaults(n, pieces))
          .run();
      System.out.println("  " + r);
    }
  }

  private boolean selected(String part) {
    return only.isEmpty() || only.equals(part);
  }

  /** One part of the seed's table: --only seed runs all three, --only latency|import|export one. */
  private boolean seedPart(String part) {
    return selected("seed") || only.equals(part);
  }

  // ---------------------------------------------------------------- the seed's table

  void seedTable() throws Exception {
    try (BenchProcesses procs = new BenchProcesses(jar, work, serverOpts(), tlsDir)) {
      Node scheduler = procs.scheduler("scheduler", BenchProcesses.freePort(), List.of());
      Node a = procs.daemon("a", scheduler.grpc());
      Node b = procs.daemon("b", scheduler.grpc());
      ManagedChannel ca = channel(a);
      ManagedChannel cb = channel(b);

      Path small = randomFile("small-4k", 4096);
      call(DaemonRpc.IMPORT_TASK, ca, importReq("held-by-a", small));
      call(DaemonRpc.IMPORT_TASK, cb, importReq("held-by-b", small));
      int n = quick ? 300 : 1000;
      profiledFrom = a;
      profiledTo = b;
      statDaemon = b;
      if (seedPart("latency")) {
        latencies(ca, cb, scheduler, n);
      }
      if (seedPart("import")) {
        importVsCp(ca, quick ? 256 * MIB : 1024 * MIB);
      }
      if (seedPart("export")) {
        exports(ca, cb);
        firstExportAfterStart(procs, scheduler, quick ? 128 * MIB : 1024 * MIB);
      }
    }
  }

  /**
   * What a user judges: the first export after the daemons start (cold JVMs: classes loaded, code
   * interpreted until the JIT compiles it), next to the warm p50 of the same size measured just
   * before with long-running daemons. Two fresh daemons: one imports, the other exports at once.
   */
  void firstExportAfterStart(BenchProcesses procs, Node scheduler, long size) throws Exception {
    String warmLabel = "export " + human(size) + " from a peer, p50";
    @SuppressWarnings("unchecked")
    Map<String, Object> warm = (Map<String, Object>) json.get(warmLabel);
    Path src = randomFile("first-src", size);
    Node seed = procs.daemon("first-seed", scheduler.grpc());
    Node fresh = procs.daemon("first-export", scheduler.grpc());
    call(DaemonRpc.IMPORT_TASK, channel(seed), importReq("first", src));
    profiledFrom = seed;
    profiledTo = fresh;
    Instant from = Instant.now();
    double first = timedExport(channel(fresh), "first");
    if (profile) {
      profiles("the first export of " + human(size) + " after the daemons start", "first-"
          + human(size), from);
    }
    String label = "first export of " + human(size) + " after the daemons start";
    double warmMs = warm == null ? Double.NaN : ((Number) warm.get("dfcache_ms")).doubleValue();
    record(new Row(label, fmtMs(first), Double.isNaN(warmMs) ? "" : fmtMs(warmMs) + " (warm p50)",
        Double.isNaN(warmMs) ? "" : ratio(first / warmMs), "<= 1.5 x warm"));
    json.put(label, Map.of("dfcache_ms", first, "warm_ms", warmMs, "ratio", first / warmMs));
    Files.delete(src);
  }

  void latencies(ManagedChannel ca, ManagedChannel cb, Node scheduler, int n) throws Exception {
    latency("stat, local copy", n, 0.3, () -> call(DaemonRpc.STAT_TASK, cb, stat("held-by-b")));
    latency("stat, held by another peer", n, 0.6,
        () -> call(DaemonRpc.STAT_TASK, cb, stat("held-by-a")));
    if (profile) {
      // more of the same, alone in the profile's window: the daemon's side and the scheduler's
      Instant windowStart = Instant.now();
      for (int i = 0; i < n; i++) {
        call(DaemonRpc.STAT_TASK, cb, stat("held-by-a"));
      }
      Map<String, Node> sides = new LinkedHashMap<>();
      sides.put("daemon", statDaemon);
      sides.put("scheduler", scheduler);
      profiles(n + " more stats of a task held by another peer", "stat-remote", windowStart,
          sides);
    }
    latency("stat, nowhere", n, 0.8, () -> callExpectingError(DaemonRpc.STAT_TASK, cb, stat("nowhere")));
    latency("delete", n, 1.0, () -> call(DaemonRpc.DELETE_TASK, cb,
        DeleteTaskRequest.newBuilder().setUrl(TaskIds.urlForCid("not-here")).build()));
    ManagedChannel cs = tlsDir == null ? channels.get(HostPort.parse(scheduler.grpc()))
        : tlsChannels().get(HostPort.parse(scheduler.grpc()));
    int[] counter = {0};
    latency("announce", n, 1.0, () -> call(SchedulerRpc.ANNOUNCE_TASK, cs,
        announce(Digests.sha256Hex(("announce-" + counter[0]++).getBytes()))));
  }

  void exports(ManagedChannel ca, ManagedChannel cb) throws Exception {
    try (StaticServer nginx = StaticServer.nginx(work.resolve("files"), work)) {
      long[] sizes = quick ? new long[] {4096, 4 * MIB, 128 * MIB}
          : new long[] {4096, 4 * MIB, 128 * MIB, 1024 * MIB};
      double[] goalsMs = {2, 8, 150, Double.NaN};
      for (int i = 0; i < sizes.length; i++) {
        exportVsHttp(ca, cb, nginx, sizes[i], goalsMs[i]);
      }
    }
  }

  void importVsCp(ManagedChannel daemon, long size) throws Exception {
    Path src = randomFile("import-src", size);
    int runs = quick ? 2 : 3;
    List<Double> cp = new ArrayList<>();
    List<Double> imp = new ArrayList<>();
    for (int r = 0; r < runs; r++) {
      Path dst = work.resolve("cp-dst");
      long t0 = System.nanoTime();
      Process p = new ProcessBuilder("cp", src.toString(), dst.toString()).inheritIO().start();
      p.waitFor();
      cp.add(ms(System.nanoTime() - t0));
      Files.delete(dst);
      String cid = "import-" + r;
      t0 = System.nanoTime();
      call(DaemonRpc.IMPORT_TASK, daemon, importReq(cid, src));
      imp.add(ms(System.nanoTime() - t0));
      call(DaemonRpc.DELETE_TASK, daemon, DeleteTaskRequest.newBuilder()
          .setUrl(TaskIds.urlForCid(cid)).build());
    }
    double i = median(imp);
    double c = median(cp);
    String label = "import " + human(size) + " / cp";
    record(new Row(label, fmtMs(i), fmtMs(c) + " (cp)", ratio(i / c), "<= 1.1"));
    json.put(label, Map.of("dfcache_ms", i, "cp_ms", c, "ratio", i / c));
    Files.delete(src);
  }

  void exportVsHttp(ManagedChannel from, ManagedChannel to, StaticServer nginx, long size,
      double goalMs) throws Exception {
    Files.createDirectories(work.resolve("files"));
    String name = "export-" + size;
    Path src = randomFile("files/" + name, size);
    call(DaemonRpc.IMPORT_TASK, from, importReq(name, src));
    int runs = size <= 4 * MIB ? (quick ? 20 : 50) : size <= 128 * MIB ? (quick ? 3 : 5) : 3;
    // Warm both daemons up first (JIT, connection pools), as the latency rows do: a cold JVM is
    // what the whole-process CLI figure measures.
    int warmUps = size <= 4 * MIB ? (quick ? 200 : 1000) : 1;
    for (int r = 0; r < warmUps; r++) {
      timedExport(to, name);
    }
    List<Double> exports = new ArrayList<>();
    List<Double> http = new ArrayList<>();
    for (int r = 0; r < runs; r++) {
      exports.add(timedExport(to, name));
      Path httpOut = work.resolve("http-out");
      http.add(ms(nginx.download(name, httpOut)));
      Files.delete(httpOut);
    }
    if (profile && size >= 128 * MIB && profiledFrom != null) {
      // one more, not timed, alone in the profile's window
      Instant windowStart = Instant.now();
      timedExport(to, name);
      profiles("one more warm export of " + human(size), "warm-" + human(size), windowStart);
    }
    double e = median(exports);
    double h = median(http);
    String label = "export " + human(size) + " from a peer, p50";
    String goal = Double.isNaN(goalMs) ? "<= 1.25 x http" : "<= " + fmtMs(goalMs)
        + (size >= 128 * MIB ? "" : "");
    record(new Row(label, fmtMs(e), fmtMs(h) + " (nginx+curl)", ratio(e / h), goal));
    json.put(label, Map.of("dfcache_ms", e, "http_ms", h, "ratio", e / h,
        "dfcache_mib_s", size / MIB / (e / 1000), "runs", runs));
    Files.delete(src);
  }

  /** The daemons the next --profile recording is of: the uploader, the downloader. */
  private Node profiledFrom;
  private Node profiledTo;
  /** The daemon the latency rows call (--profile). */
  private Node statDaemon;

  /** Stops both recordings, prints where each side's CPU went, keeps the .jfr files. */
  private void profiles(String what, String tag, Instant from) throws Exception {
    Map<String, Node> sides = new LinkedHashMap<>();
    sides.put("uploader", profiledFrom);
    sides.put("downloader", profiledTo);
    profiles(what, tag, from, sides);
  }

  private void profiles(String what, String tag, Instant from, Map<String, Node> sides)
      throws Exception {
    Instant to = Instant.now();
    for (var e : sides.entrySet()) {
      String side = e.getKey();
      Node n = e.getValue();
      Path file = Path.of("bench-profile-" + tag.replace(' ', '-') + "-" + side + ".jfr")
          .toAbsolutePath();
      JfrProfile.dump(n, file);
      System.out.printf("  profile of %s (%d ms), the %s (%s):%n", what,
          java.time.Duration.between(from, to).toMillis(), side, file);
      System.out.print(JfrProfile.summary(file, from, to));
    }
  }

  /** Exports a task that only another peer holds; returns the milliseconds, then forgets it. */
  private double timedExport(ManagedChannel to, String cid) throws Exception {
    Path out = work.resolve("export-out");
    long t0 = System.nanoTime();
    call(DaemonRpc.EXPORT_TASK, to, ExportTaskRequest.newBuilder()
        .setUrl(TaskIds.urlForCid(cid)).setOutput(out.toString()).build());
    double took = ms(System.nanoTime() - t0);
    Files.delete(out);
    // this node's copy only: a delete goes to every holder now, the seed included
    call(DaemonRpc.DELETE_TASK, to, DeleteTaskRequest.newBuilder()
        .setUrl(TaskIds.urlForCid(cid)).setLocalOnly(true).build());
    return took;
  }

  // ---------------------------------------------------------------- rate limits

  /** An export under a rate limit must take size/limit, not less (and not much more). */
  void limitHonesty() throws Exception {
    long size = quick ? 256 * MIB : 1024 * MIB;
    long limit = 100 * MIB;
    try (BenchProcesses procs = new BenchProcesses(jar, work, serverOpts(), tlsDir)) {
      Node scheduler = procs.scheduler("scheduler-limit", BenchProcesses.freePort(), List.of());
      Node a = procs.daemon("limit-a", scheduler.grpc());
      Node b = procs.daemon("limit-b", scheduler.grpc());
      // one unlimited export first: the limit is what is measured here, not a cold JVM
      Path warm = randomFile("limit-warm-up", 64 * MIB);
      call(DaemonRpc.IMPORT_TASK, channel(a), importReq("limit-warm-up", warm));
      call(DaemonRpc.EXPORT_TASK, channel(b), ExportTaskRequest.newBuilder()
          .setUrl(TaskIds.urlForCid("limit-warm-up"))
          .setOutput(work.resolve("limit-warm-up.out").toString()).build());
      Path src = randomFile("limited", size);
      call(DaemonRpc.IMPORT_TASK, channel(a), importReq("limited", src));
      Path out = work.resolve("limited.out");
      long t0 = System.nanoTime();
      call(DaemonRpc.EXPORT_TASK, channel(b), ExportTaskRequest.newBuilder()
          .setUrl(TaskIds.urlForCid("limited")).setOutput(out.toString()).setLimit(limit).build());
      double took = (System.nanoTime() - t0) / 1e9;
      double expected = size / (double) limit;
      record(new Row("export " + human(size) + " under a 100 MiB/s limit",
          String.format(Locale.ROOT, "%.2f s", took),
          String.format(Locale.ROOT, "%.2f s (S/limit)", expected), ratio(took / expected),
          "about 1.0, never below"));
      json.put("limit", Map.of("size_bytes", size, "limit_bytes_s", limit, "took_s", took,
          "expected_s", expected));
      Files.delete(out);
      Files.delete(src);
    }
  }

  // ---------------------------------------------------------------- whole-process CLI

  void wholeProcessStat() throws Exception {
    try (BenchProcesses procs = new BenchProcesses(jar, work, serverOpts(), tlsDir)) {
      Node scheduler = procs.scheduler("scheduler-cli", BenchProcesses.freePort(), List.of());
      Node d = procs.daemon("cli", scheduler.grpc());
      call(DaemonRpc.IMPORT_TASK, channel(d), importReq("cli", randomFile("cli-input", 4096)));
      // The row is the CLI's own cost against a daemon that has been up a while, as a user's is:
      // warm the daemon's stat path and let its background compiles finish first.
      for (int i = 0; i < 500; i++) {
        call(DaemonRpc.STAT_TASK, channel(d), stat("cli"));
      }
      Thread.sleep(1000);
      List<Double> times = new ArrayList<>();
      String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
      // As bin/dfcache does: the first run writes a class-data-sharing archive, the others use it.
      Path cds = work.resolve("cli.jsa");
      for (int i = 0; i < 11; i++) {
        List<String> cmd = new ArrayList<>(List.of(java));
        cmd.addAll(List.of(cliOpts().split("\\s+")));
        cmd.add((i == 0 ? "-XX:ArchiveClassesAtExit=" : "-XX:SharedArchiveFile=") + cds);
        cmd.add("-Xlog:cds=off");
        cmd.add("-Xlog:cds+dynamic=off");
        cmd.addAll(List.of("-jar", jar.toString(), "dfcache", "--daemon", "unix:" + d.socket(), "stat",
            "-i", "cli", "-q"));
        long t0 = System.nanoTime();
        Process p = new ProcessBuilder(cmd).inheritIO().start();
        if (p.waitFor() != 0) {
          throw new IllegalStateException("dfcache stat failed");
        }
        if (i > 0) {
          times.add(ms(System.nanoTime() - t0));
        }
      }
      double m = median(times);
      record(new Row("dfcache stat, whole process, median of 10", fmtMs(m), "", "", "<= 300 ms"));
      json.put("cli stat whole process ms", m);
    }
  }

  // ---------------------------------------------------------------- swarm

  /**
   * One swarm: N downloaders export a task of S bytes from a seed at the same time, every host's
   * upload capped at B bytes/s. The P2P bound is S/B (each piece leaves the seed about once, the
   * downloaders pass it on to each other); one source would take N*S/B.
   */
  private record SwarmCase(String id, String label, int downloaders, long size, long cap,
      String capBy) {}

  /**
   * Where a swarm runs: the scheduler's host, the seed's then the downloaders' hosts, flags for
   * every daemon, and the seed's interface counter of bytes sent (null: none to read).
   */
  private record SwarmHosts(Host scheduler, List<Host> peers, List<String> daemonFlags,
      SentBytes sent) {}

  /** Bytes host i's interface has sent so far. */
  private interface SentBytes {
    long read(int host) throws Exception;
  }

  void swarm() throws Exception {
    String why = NetnsHosts.whyUnavailable();
    if (why == null) {
      NetnsHosts.removeAll(); // what a killed run left, before it can slow down the first swarm
    }
    // On 127.0.0.1, every daemon's own upload limiter is the cap (the figure of earlier runs).
    int n = quick ? 4 : 8;
    long size = quick ? 128 * MIB : 512 * MIB;
    long cap = 50 * MIB;
    swarmCase(new SwarmCase("swarm", "swarm: " + human(size) + " to " + n + " peers, upload cap "
        + human(cap) + "/s", n, size, cap, "daemon --upload-limit"), onLoopback(n, cap));

    // What the network allows: one network namespace per host, its upload capped by tc; the
    // first case also under a plain tbf, whose one FIFO delays a downloader's ACKs (NetnsHosts).
    record NetCase(long size, long mbit, NetnsHosts.Shaper shaper) {}
    List<NetCase> cases = new ArrayList<>(List.of(
        new NetCase(64 * MIB, 50, NetnsHosts.Shaper.HTB_ACKS_FIRST),
        new NetCase(64 * MIB, 50, NetnsHosts.Shaper.TBF_FIFO)));
    if (!quick) {
      cases.add(new NetCase(128 * MIB, 100, NetnsHosts.Shaper.HTB_ACKS_FIRST));
    }
    int downloaders = 6;
    if (why != null) {
      System.out.println("  swarm: " + why + ", so no network namespaces: the " + downloaders
          + "-peer swarms run on 127.0.0.1, capped by the daemons' own --upload-limit, not by tc");
      cases.removeIf(c -> c.shaper() != NetnsHosts.Shaper.HTB_ACKS_FIRST);
    }
    for (NetCase c : cases) {
      long bits = c.mbit() * 1_000_000;
      String id = "swarm-" + c.mbit() + "mbit"
          + (c.shaper() == NetnsHosts.Shaper.TBF_FIFO ? "-fifo" : "");
      String what = human(c.size()) + " to " + downloaders + " peers, ";
      if (why == null) {
        try (NetnsHosts hosts = NetnsHosts.create(downloaders + 1, bits, c.shaper())) {
          System.out.println("  swarm: hosts in " + hosts.describe() + ", each host's upload "
              + "capped by tc (" + c.shaper().label + ") at " + c.mbit()
              + " Mbit/s, the scheduler's not");
          swarmCase(new SwarmCase(id, "swarm netns: " + what + "tc " + c.mbit() + " Mbit/s ("
              + c.shaper().label + ")", downloaders, c.size(), bits / 8, "tc " + c.shaper()),
              inNamespaces(hosts));
        }
      } else {
        swarmCase(new SwarmCase(id, "swarm 127.0.0.1: " + what + "daemon limit " + c.mbit()
            + " Mbit/s", downloaders, c.size(), bits / 8, "daemon --upload-limit"),
            onLoopback(downloaders, bits / 8));
      }
    }
  }

  private static SwarmHosts onLoopback(int downloaders, long cap) {
    return new SwarmHosts(Host.LOOPBACK, java.util.Collections.nCopies(downloaders + 1,
        Host.LOOPBACK), List.of("--upload-limit=" + cap), null);
  }

  /** Host 0 is the seed's; no daemon limit: tc is the cap. */
  private static SwarmHosts inNamespaces(NetnsHosts hosts) {
    List<Host> peers = new ArrayList<>();
    for (int i = 0; i < hosts.count(); i++) {
      peers.add(hosts.host(i));
    }
    return new SwarmHosts(hosts.scheduler(), peers, List.of(), hosts::txBytes);
  }

  private void swarmCase(SwarmCase c, SwarmHosts on) throws Exception {
    try (BenchProcesses procs = new BenchProcesses(jar, work, swarmOpts())) {
      Node scheduler = procs.scheduler(on.scheduler(), c.id() + "-scheduler",
          BenchProcesses.freePort(), List.of());
      String[] flags = on.daemonFlags().toArray(String[]::new);
      Node seed = procs.daemon(on.peers().get(0), c.id() + "-seed", scheduler.grpc(), flags);
      List<Node> peers = new ArrayList<>();
      for (int i = 1; i <= c.downloaders(); i++) {
        peers.add(procs.daemon(on.peers().get(i), c.id() + "-" + i, scheduler.grpc(), flags));
      }
      // A first, smaller swarm warms the JVMs up (JIT, connection pools), as the other rows
      // are measured warm; then the measured one.
      swarmOnce(seed, peers, c.id() + "-warm-up",
          c.size() / Long.getLong("bench.swarm.warmup.div", 8));
      Path src = randomFile(c.id() + "-src", c.size());
      call(DaemonRpc.IMPORT_TASK, channel(seed), importReq(c.id(), src));
      long uploaded0 = uploadedBytes(seed);
      Map<String, Object> figures = new LinkedHashMap<>();
      long sent0 = on.sent() == null ? 0 : on.sent().read(0);
      UploadTimeline timeline = on.sent() == null ? null
          : UploadTimeline.start(c.downloaders() + 1, on.sent()::read);
      MachineCpu cpu0 = MachineCpu.now();
      long t0 = System.nanoTime();
      exportEverywhere(peers, c.id());
      double wall = (System.nanoTime() - t0) / 1e9;
      MachineCpu cpu1 = MachineCpu.now();
      double cpuBusy = cpu1 == null ? -1 : cpu1.busySince(cpu0);
      // the counter first: reading /metrics makes the seed send a few KB
      long sent = on.sent() == null ? -1 : on.sent().read(0) - sent0;
      if (timeline != null) {
        timeline.stop();
        Path file = Path.of("bench-" + c.id() + "-uploads.txt").toAbsolutePath();
        Files.writeString(file, timeline.table(c.cap()));
        System.out.println("  " + c.label() + ": " + timeline.summary(c.cap(), wall)
            + " (every host's upload each 0.5 s: " + file + ")");
        figures.put("upload_use_of_cap", timeline.useOfCap(c.cap(), wall));
      }
      long uploaded = uploadedBytes(seed) - uploaded0;
      if (cpuBusy >= 0) {
        // near 100%: the swarm ran out of CPU (every host shares this machine's cores)
        System.out.println(String.format(Locale.ROOT, "  %s: the machine's CPUs were %.0f%% busy "
            + "(%d cores, /proc/stat)", c.label(), 100 * cpuBusy,
            Runtime.getRuntime().availableProcessors()));
        figures.put("machine_cpu_busy", cpuBusy);
      }
      System.out.println("  " + c.label() + ": upload requests refused (503), seed: "
          + metricLines(seed, "dfcache_daemon_uploads_rejected_total") + "; downloaders: "
          + peers.stream().map(p -> metricLines(p, "dfcache_daemon_uploads_rejected_total"))
              .toList());
      // Under tc, B is the rate of whole frames: TCP/IP and Ethernet headers take ~4.6% of it,
      // so even a perfect swarm needs ~1.05 S/B.
      double p2p = c.size() / (double) c.cap();
      double oneSource = c.downloaders() * p2p;
      String took = String.format(Locale.ROOT, "%.1f s", wall);
      record(new Row(c.label() + ", wall / (S/B)", took,
          String.format(Locale.ROOT, "S/B %.1f s", p2p), ratio(wall / p2p), "<= 1.5"));
      record(new Row(c.label() + ", wall / one source", took,
          String.format(Locale.ROOT, "N*S/B %.1f s", oneSource), ratio(wall / oneSource), "< 1"));
      if (sent >= 0) {
        record(new Row(c.label() + ", seed's bytes sent / S (eth0 tx_bytes)", human(sent), "",
            ratio(sent / (double) c.size()), "<= 2"));
      }
      record(new Row(c.label() + ", seed's uploaded bytes / S (daemon metric)", human(uploaded),
          "", ratio(uploaded / (double) c.size()), "<= 2"));
      figures.put("size_bytes", c.size());
      figures.put("downloaders", c.downloaders());
      figures.put("upload_cap_bytes_s", c.cap());
      figures.put("cap_by", c.capBy());
      figures.put("wall_s", wall);
      figures.put("p2p_bound_s", p2p);
      figures.put("one_source_s", oneSource);
      figures.put("importer_upload_over_size", uploaded / (double) c.size());
      if (sent >= 0) {
        figures.put("seed_tx_bytes_over_size", sent / (double) c.size());
      }
      json.put(c.id().equals("swarm") ? "swarm" : c.label(), figures);
      Files.delete(src);
    }
  }

  private static String swarmOpts() {
    return System.getenv().getOrDefault("BENCH_SWARM_JAVA_OPTS",
        "-Xms64m -Xmx384m -XX:+UseSerialGC");
  }

  private void swarmOnce(Node seed, List<Node> peers, String cid, long size) throws Exception {
    Path src = randomFile(cid + "-src", size);
    call(DaemonRpc.IMPORT_TASK, channel(seed), importReq(cid, src));
    exportEverywhere(peers, cid);
    Files.delete(src);
  }

  /** Every peer exports the task at the same time; returns when all are done. */
  private void exportEverywhere(List<Node> peers, String cid) {
    List<CompletableFuture<Void>> all = new ArrayList<>();
    for (Node p : peers) {
      ManagedChannel ch = channel(p);
      Path out = work.resolve(cid + "-out-" + p.name());
      all.add(CompletableFuture.runAsync(() -> call(DaemonRpc.EXPORT_TASK, ch,
          ExportTaskRequest.newBuilder().setUrl(TaskIds.urlForCid(cid))
              .setOutput(out.toString()).build())));
    }
    CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).join();
  }

  /** The daemon's metric lines of that name, labels and values only ("" if it cannot be read). */
  static String metricLines(Node daemon, String name) {
    try {
      return metricsText(daemon).lines().filter(l -> l.startsWith(name))
          .map(l -> l.substring(name.length())).collect(java.util.stream.Collectors.joining(" "));
    } catch (Exception e) {
      return "";
    }
  }

  static long uploadedBytes(Node daemon) throws Exception {
    String name = "dfcache_daemon_uploaded_bytes_total ";
    return metricsText(daemon).lines().filter(l -> l.startsWith(name)).findFirst()
        .map(l -> (long) Double.parseDouble(l.substring(name.length()).trim())).orElse(-1L);
  }

  /** The daemon's /metrics page (Prometheus text). */
  private static String metricsText(Node daemon) throws Exception {
    return java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
            java.net.URI.create("http://" + daemon.host() + ":" + daemon.otherPort() + "/metrics"))
            .build(),
        java.net.http.HttpResponse.BodyHandlers.ofString()).body();
  }

  // ---------------------------------------------------------------- scheduler scale

  void schedulerScale() throws Exception {
    int tasks = large ? 1_000_000 : quick ? 10_000 : 100_000;
    try (BenchProcesses procs = new BenchProcesses(jar, work,
        "-Xms256m -Xmx" + (large ? "2g" : "1g") + " -XX:+UseG1GC")) {
      int p1 = BenchProcesses.freePort();
      int p2 = BenchProcesses.freePort();
      int p3 = BenchProcesses.freePort();
      List<Node> fleet = new ArrayList<>();
      fleet.add(procs.scheduler("fleet-1", p1, List.of(p1)));
      fleet.add(procs.scheduler("fleet-2", p2, List.of(p1)));
      fleet.add(procs.scheduler("fleet-3", p3, List.of(p1)));
      Thread.sleep(6000); // let the regions register and the first rebalance pass
      List<Long> empty = new ArrayList<>();
      for (Node n : fleet) {
        empty.add(BenchProcesses.heapUsedAfterGc(n.process()));
      }
      List<ManagedChannel> chs = fleet.stream().map(n -> channels.get(HostPort.parse(n.grpc())))
          .toList();
      double announceRate = concurrently(tasks, i -> SchedulerRpc.ANNOUNCE_TASK.callAsync(
          chs.get(i % 3), announce(Digests.sha256Hex(("scale-" + i).getBytes())), CALL));
      double statRate = concurrently(tasks, i -> SchedulerRpc.STAT_TASK.callAsync(
          chs.get((i + 1) % 3), dev.dfcache.api.scheduler.StatTaskRequest.newBuilder()
              .setTaskId(Digests.sha256Hex(("scale-" + i).getBytes())).build(), CALL));
      List<Long> heaps = new ArrayList<>();
      for (Node n : fleet) {
        heaps.add(BenchProcesses.heapUsedAfterGc(n.process()));
      }
      // Extrapolated per node: the empty fleet's heap plus 1M/tasks times what the tasks added.
      long maxHeap = 0;
      for (int i = 0; i < heaps.size(); i++) {
        maxHeap = Math.max(maxHeap, empty.get(i) + (heaps.get(i) - empty.get(i)) * (1_000_000L / tasks));
      }
      String label = String.format(Locale.ROOT, "scheduler: %,d tasks over 3 nodes", tasks);
      record(new Row(label + ", announce / stat per s",
          String.format(Locale.ROOT, "%,.0f / %,.0f", announceRate, statRate), "", "", ""));
      record(new Row(label + ", heap per node after GC", heaps.stream().map(Bench::human)
          .reduce((x, y) -> x + ", " + y).orElse(""), "", "",
          "1M tasks: <= 1 GiB (" + human(maxHeap) + " extrapolated)"));
      json.put("scheduler scale", Map.of("tasks", tasks, "announce_per_s", announceRate,
          "stat_per_s", statRate, "heap_after_gc_bytes", heaps, "empty_heap_after_gc_bytes", empty));
    }
  }

  /** Runs n async calls with 128 in flight; returns calls per second. */
  static double concurrently(int n, java.util.function.IntFunction<java.util.concurrent.CompletionStage<?>> call)
      throws InterruptedException {
    Semaphore inFlight = new Semaphore(128);
    long t0 = System.nanoTime();
    java.util.concurrent.atomic.AtomicInteger failures = new java.util.concurrent.atomic.AtomicInteger();
    Map<String, Integer> reasons = new java.util.concurrent.ConcurrentHashMap<>();
    for (int i = 0; i < n; i++) {
      inFlight.acquire();
      call.apply(i).whenComplete((r, t) -> {
        if (t != null) {
          failures.incrementAndGet();
          Throwable cause = t instanceof java.util.concurrent.CompletionException ? t.getCause() : t;
          String reason = String.valueOf(cause.getMessage());
          // the gist only (no task or shard ids), so that the same failure is counted as one
          reasons.merge(reason.length() > 48 ? reason.substring(0, 48) + "..." : reason, 1,
              Integer::sum);
        }
        inFlight.release();
      });
    }
    inFlight.acquire(128);
    double rate = n / ((System.nanoTime() - t0) / 1e9);
    if (failures.get() > 0) {
      System.out.println("  (" + failures.get() + " of " + n + " calls failed: " + reasons + ")");
    }
    return rate;
  }

  // ---------------------------------------------------------------- helpers

  /** The daemons' and schedulers' JVM flags, as bin/dfdaemon sets them; BENCH_SERVER_JAVA_OPTS overrides. */
  String serverOpts() throws java.io.IOException {
    String override = System.getenv("BENCH_SERVER_JAVA_OPTS");
    String opts = override != null && !override.isBlank() ? override.trim()
        : "-Xms256m -Xmx1g -XX:+UseG1GC";
    return profile ? opts + " " + JfrProfile.jvmFlag() : opts;
  }

  static String cliOpts() {
    return System.getProperty("dfcache.cli.opts",
        "-Xmx128m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -XX:-UsePerfData");
  }

  private Channels tlsChannels;

  /** Channels to servers on 127.0.0.1 that need mutual TLS (--tls). */
  private Channels tlsChannels() throws Exception {
    if (tlsChannels == null) {
      tlsChannels = new Channels(dev.dfcache.tls.TlsFiles.grpcClient(tlsDir));
    }
    return tlsChannels;
  }

  /** A daemon's local API, on its unix socket. */
  ManagedChannel channel(Node n) {
    return channels.local(n.socket());
  }

  void latency(String label, int n, double goalMs, Runnable call) {
    // Warm both sides up (JIT) before timing: a cold JVM is measured by the CLI figure.
    for (int i = 0; i < (quick ? 1000 : 3000); i++) {
      call.run();
    }
    double[] t = new double[n];
    for (int i = 0; i < n; i++) {
      long t0 = System.nanoTime();
      call.run();
      t[i] = (System.nanoTime() - t0) / 1e6;
    }
    Arrays.sort(t);
    double p50 = t[n / 2];
    double p99 = t[(int) (n * 0.99)];
    record(new Row(label + ", p50 / p99", String.format(Locale.ROOT, "%.2f / %.2f ms", p50, p99),
        "", "", "p50 <= " + goalMs + " ms"));
    json.put(label, Map.of("p50_ms", p50, "p99_ms", p99, "calls", n));
  }

  static <Q extends Message> void call(UnaryMethod<Q, ?> m, ManagedChannel ch, Q req) {
    m.call(ch, req, CALL);
  }

  static <Q extends Message> void callExpectingError(UnaryMethod<Q, ?> m, ManagedChannel ch, Q req) {
    try {
      m.call(ch, req, CALL);
      throw new IllegalStateException("expected an error");
    } catch (io.grpc.StatusRuntimeException expected) {
      // not found, as measured
    }
  }

  static ImportTaskRequest importReq(String cid, Path file) {
    return ImportTaskRequest.newBuilder().setUrl(TaskIds.urlForCid(cid))
        .setPath(file.toAbsolutePath().toString()).build();
  }

  static StatTaskRequest stat(String cid) {
    return StatTaskRequest.newBuilder().setUrl(TaskIds.urlForCid(cid))
        .setUrlMeta(UrlMeta.getDefaultInstance()).build();
  }

  static AnnounceTaskRequest announce(String taskId) {
    return AnnounceTaskRequest.newBuilder().setTaskId(taskId).setUrl("d7y:/" + taskId)
        .setPeerHost(PeerHost.newBuilder().setId("bench-peer").setIp("127.0.0.1").setRpcPort(1)
            .setDownPort(2).setHostname("bench"))
        .setPiecePacket(PiecePacket.newBuilder().setContentLength(100).setTotalPiece(1)
            .addPieceInfos(PieceInfo.newBuilder().setPieceNum(0).setRangeSize(100)
                .setPieceMd5(taskId)))
        .build();
  }

  Path randomFile(String name, long size) throws Exception {
    Path p = work.resolve(name);
    Files.createDirectories(p.getParent());
    byte[] buf = new byte[(int) Math.min(size, 4 * MIB)];
    Random random = new Random(size);
    try (OutputStream out = Files.newOutputStream(p)) {
      for (long left = size; left > 0; left -= buf.length) {
        random.nextBytes(buf);
        out.write(buf, 0, (int) Math.min(buf.length, left));
      }
    }
    return p;
  }

  static double ms(long nanos) {
    return nanos / 1e6;
  }

  static double median(List<Double> xs) {
    List<Double> s = new ArrayList<>(xs);
    s.sort(null);
    return s.get(s.size() / 2);
  }

  static String fmtMs(double ms) {
    return ms >= 100 ? String.format(Locale.ROOT, "%.0f ms", ms)
        : String.format(Locale.ROOT, "%.2f ms", ms);
  }

  static String ratio(double r) {
    return String.format(Locale.ROOT, "%.2f", r);
  }

  static String human(long bytes) {
    if (bytes >= 1 << 30 && bytes % (1 << 30) == 0) {
      return (bytes >> 30) + " GiB";
    }
    if (bytes >= MIB) {
      return String.format(Locale.ROOT, "%.0f MiB", bytes / (double) MIB);
    }
    return bytes >= 1024 ? (bytes / 1024) + " KiB" : bytes + " B";
  }

  void printTable() {
    int w0 = rowList.stream().mapToInt(r -> r.figure().length()).max().orElse(10);
    int w1 = Math.max(7, rowList.stream().mapToInt(r -> r.dfcache().length()).max().orElse(7));
    int w2 = Math.max(8, rowList.stream().mapToInt(r -> r.baseline().length()).max().orElse(8));
    String fmt = "| %-" + w0 + "s | %" + w1 + "s | %-" + w2 + "s | %5s | %s |%n";
    System.out.println();
    System.out.printf(fmt, "figure", "dfcache", "baseline", "ratio", "goal");
    System.out.printf("|%s|%s|%s|%s|%s|%n", "-".repeat(w0 + 2), "-".repeat(w1 + 2),
        "-".repeat(w2 + 2), "-".repeat(7), "------");
    for (Row r : rowList) {
      System.out.printf(fmt, r.figure(), r.dfcache(), r.baseline(), r.ratio(), r.goal());
    }
  }

  void writeJson(Path out) throws Exception {
    json.put("mode", quick ? "quick" : large ? "large" : "full");
    json.put("cores", Runtime.getRuntime().availableProcessors());
    new com.fasterxml.jackson.databind.ObjectMapper().writerWithDefaultPrettyPrinter()
        .writeValue(out.toFile(), json);
    System.out.println("\nwrote " + out.toAbsolutePath());
  }

  static void deleteTree(Path p) {
    try (var walk = Files.walk(p)) {
      walk.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    } catch (Exception ignored) {
      // best effort
    }
  }

}
