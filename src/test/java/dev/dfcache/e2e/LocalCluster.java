package dev.dfcache.e2e;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Real dfcache processes on 127.0.0.1, started from the built jar with their own ports and data
 * directories, for end-to-end tests. Everything started is killed on close.
 */
public final class LocalCluster implements AutoCloseable {
  public static final Path JAR = Path.of("target", "dfcache.jar").toAbsolutePath();
  private final Path work;
  private final Path logs;
  /** Synchronized: processes may be started from several threads at once. */
  private final List<Proc> procs = java.util.Collections.synchronizedList(new ArrayList<>());

  /** A started process and the ports it serves. */
  public static final class Proc {
    public final String name;
    public final Process process;
    public final int grpcPort;
    public final int otherPort;
    public final Path dataDir;
    final List<String> command;
    /** Everything the process printed. */
    public Path log;
    /** The environment it was started with beyond the inherited one. */
    java.util.Map<String, String> env = java.util.Map.of();
    /** A daemon's local API socket (null for other processes). */
    public Path socket;
    /** The --tls-dir it runs with, or null (plaintext). */
    public Path tls;

    Proc(String name, Process process, int grpcPort, int otherPort, Path dataDir,
        List<String> command) {
      this.name = name;
      this.process = process;
      this.grpcPort = grpcPort;
      this.otherPort = otherPort;
      this.dataDir = dataDir;
      this.command = command;
    }

    public String grpc() {
      return "127.0.0.1:" + grpcPort;
    }

    public int uploadPort() {
      return otherPort;
    }

    /** What dfcache's --daemon takes to reach this daemon's local API. */
    public String localApi() {
      return "unix:" + socket;
    }
  }

  /** Whether close() deletes the work directory (made by inTempDir). */
  private boolean ownsWork;

  /**
   * A cluster in a new temporary directory of its own, which {@link #close()} deletes with
   * everything the processes wrote (their logs are kept under target/it-logs).
   */
  public static LocalCluster inTempDir(String prefix) throws IOException {
    LocalCluster cluster = new LocalCluster(Files.createTempDirectory(prefix));
    cluster.ownsWork = true;
    return cluster;
  }

  public Path work() {
    return work;
  }

  public LocalCluster(Path work) throws IOException {
    if (!Files.isRegularFile(JAR)) {
      fail("build the jar first (mvn package): " + JAR);
    }
    this.work = work;
    this.logs = Path.of("target", "it-logs").toAbsolutePath();
    Files.createDirectories(logs);
  }

  /** Removes a test's work directory and everything in it. */
  public static void deleteTree(Path dir) throws IOException {
    try (java.util.stream.Stream<Path> walk = Files.walk(dir)) {
      walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  public static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  /**
   * Distinct free ports for processes that start later: taken below the kernel's ephemeral range
   * (where {@link #freePort()} and outgoing connections take theirs), so that nothing else grabs
   * them in the meantime.
   */
  public static int[] reservePorts(int n) throws IOException {
    java.util.Set<Integer> out = new java.util.LinkedHashSet<>();
    java.util.Random random = new java.util.Random();
    int low = 20000;
    int high = 32000;
    try (BufferedReader r = Files.newBufferedReader(
        Path.of("/proc/sys/net/ipv4/ip_local_port_range"))) {
      // (Files.readString of a /proc file returns a truncated string)
      int ephemeralLow = Integer.parseInt(r.readLine().trim().split("\\s+")[0]);
      if (ephemeralLow > 12000) {
        high = Math.min(high, ephemeralLow - 1);
        low = Math.min(low, high - 2000);
      }
    } catch (IOException | RuntimeException e) {
      // not Linux: the defaults are below the usual ephemeral ranges
    }
    while (out.size() < n) {
      int port = low + random.nextInt(high - low);
      if (out.contains(port)) {
        continue;
      }
      try (ServerSocket s = new ServerSocket()) {
        s.setReuseAddress(false);
        s.bind(new java.net.InetSocketAddress("127.0.0.1", port), 1);
        out.add(port);
      } catch (IOException inUse) {
        // try another
      }
    }
    return out.stream().mapToInt(Integer::intValue).toArray();
  }

  public Proc scheduler(String name, List<String> seeds, int clusterPort) throws Exception {
    int grpc = freePort();
    List<String> args = new ArrayList<>(List.of("scheduler", "--host", "127.0.0.1",
        "--grpc-port", Integer.toString(grpc), "--cluster-port", Integer.toString(clusterPort)));
    if (!seeds.isEmpty()) {
      args.add("--seed-nodes");
      args.add(String.join(",", seeds));
    }
    return start(name, args, "scheduler up", grpc, clusterPort, null, 60);
  }

  /** A config-mode scheduler on a gRPC port chosen by the caller (to hand it to daemons early). */
  public Proc scheduler(String name, List<String> seeds, int clusterPort, int grpcPort)
      throws Exception {
    List<String> args = new ArrayList<>(List.of("scheduler", "--host", "127.0.0.1",
        "--grpc-port", Integer.toString(grpcPort), "--cluster-port", Integer.toString(clusterPort)));
    if (!seeds.isEmpty()) {
      args.add("--seed-nodes");
      args.add(String.join(",", seeds));
    }
    return start(name, args, "scheduler up", grpcPort, clusterPort, null, 60);
  }

  /**
   * Any dfcache component with extra JVM flags and environment: {@code java <jvmArgs> -jar
   * dfcache.jar <args>}, ready when it prints a line starting with {@code readyLine}.
   */
  public Proc process(String name, List<String> jvmArgs, List<String> args,
      java.util.Map<String, String> env, String readyLine, int grpcPort, int otherPort)
      throws Exception {
    java.util.Map<String, String> withOptions = new java.util.HashMap<>(env);
    if (!jvmArgs.isEmpty()) {
      // the java launcher reads JDK_JAVA_OPTIONS (the options must not contain spaces)
      withOptions.merge("JDK_JAVA_OPTIONS", String.join(" ", jvmArgs), (a, b) -> a + " " + b);
    }
    return start(name, args, readyLine, grpcPort, otherPort, null, 60, withOptions);
  }

  public Proc scheduler(String name) throws Exception {
    return scheduler(name, List.of(), freePort());
  }

  public Proc daemon(String name, String schedulers) throws Exception {
    return daemon(name, schedulers, work.resolve(name), freePort(), freePort());
  }

  public Proc daemon(String name, String schedulers, Path dataDir, int grpc, int upload)
      throws Exception {
    return daemon(name, schedulers, dataDir, grpc, upload, List.of());
  }

  /** A daemon with more flags, e.g. {@code --store-quota 1MiB}. */
  public Proc daemon(String name, String schedulers, List<String> extraArgs) throws Exception {
    return daemon(name, schedulers, work.resolve(name), freePort(), freePort(), extraArgs);
  }

  private Proc daemon(String name, String schedulers, Path dataDir, int grpc, int upload,
      List<String> extraArgs) throws Exception {
    List<String> args = new ArrayList<>(List.of("dfdaemon", "--host", "127.0.0.1",
        "--grpc-port", Integer.toString(grpc), "--upload-port", Integer.toString(upload),
        "--data-dir", dataDir.toString(), "--socket", socketFor(name).toString()));
    if (!schedulers.isEmpty()) {
      args.addAll(List.of("--schedulers", schedulers));
    }
    args.addAll(extraArgs);
    return start(name, args, "dfdaemon ready", grpc, upload, dataDir, 60);
  }

  /** A daemon with its own embedded single-node scheduler: no other process needed. */
  public Proc standaloneDaemon(String name) throws Exception {
    int grpc = freePort();
    int upload = freePort();
    Path dataDir = work.resolve(name);
    List<String> args = List.of("dfdaemon", "--standalone", "--host", "127.0.0.1",
        "--grpc-port", Integer.toString(grpc), "--upload-port", Integer.toString(upload),
        "--data-dir", dataDir.toString(), "--socket", socketFor(name).toString());
    return start(name, args, "dfdaemon ready", grpc, upload, dataDir, 60);
  }

  /**
   * A daemon's socket: in a directory of the sockets' own (0755, so that a test may let an
   * unprivileged user reach a socket through its mode and group), short enough for sun_path.
   */
  Path socketFor(String name) throws IOException {
    Path dir = Files.createDirectories(work.resolve("sockets"));
    Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions
        .fromString("rwxr-xr-x"));
    return dir.resolve(name + ".sock");
  }

  private Path tlsDir;

  /**
   * Every scheduler and daemon started from now on runs with mutual TLS (--tls-dir), with a CA
   * and a certificate for 127.0.0.1 made here by the certs command.
   *
   * @return the directory (ca.crt, tls.crt, tls.key), for clients of the test
   */
  public Path enableTls() {
    Path pki = work.resolve("pki");
    if (dev.dfcache.tls.CertsCommand.run(pki.toString(), "127.0.0.1") != 0) {
      fail("could not make certificates in " + pki);
    }
    tlsDir = pki.resolve("127.0.0.1");
    return tlsDir;
  }

  /** JVM options for the processes started from now on, e.g. -Ddfcache.daemon.parent-wait=3s. */
  public void setJvmOptions(String... options) {
    this.jvmOptions = List.of(options);
  }

  private List<String> jvmOptions = List.of();

  /** Commands put before "java", e.g. setpriv to run a process as another user. */
  public void setCommandPrefix(List<String> prefix) {
    this.commandPrefix = List.copyOf(prefix);
  }

  private List<String> commandPrefix = List.of();

  /** Starts the same daemon again (same ports and data dir) after it was stopped. */
  public Proc restart(Proc old) throws Exception {
    return restart(old, "dfdaemon ready");
  }

  /** Starts the same process again (same command, ports, data dir), ready at that line. */
  public Proc restart(Proc old, String readyLine) throws Exception {
    procs.remove(old);
    return start(old.name, old.command, readyLine, old.grpcPort, old.otherPort, old.dataDir, 60,
        old.env);
  }

  /** A manager on free ports with its data under the work dir; root's password is given. */
  public Proc manager(String name, List<String> extraArgs, java.util.Map<String, String> env)
      throws Exception {
    int http = freePort();
    int grpc = freePort();
    List<String> args = new ArrayList<>(List.of("manager", "--host", "127.0.0.1",
        "--port", Integer.toString(http), "--grpc-port", Integer.toString(grpc),
        "--data-dir", work.resolve(name).toString()));
    args.addAll(extraArgs);
    return start(name, args, "manager up", grpc, http, work.resolve(name), 90, env);
  }

  /** A value of a daemon's /metrics (on its upload port), summed over label sets. */
  public static double metric(Proc daemon, String name) throws Exception {
    var client = daemon.tls == null ? plainHttp()
        : java.net.http.HttpClient.newBuilder().version(java.net.http.HttpClient.Version.HTTP_1_1)
            .sslContext(dev.dfcache.tls.TlsFiles.context(daemon.tls)).build();
    String body = httpGet(client, java.net.URI.create((daemon.tls == null ? "http" : "https")
        + "://127.0.0.1:" + daemon.uploadPort() + "/metrics"));
    double sum = 0;
    for (String line : body.split("\n")) {
      if (line.startsWith(name + " ") || line.startsWith(name + "{")) {
        sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      }
    }
    return sum;
  }

  /**
   * Waits until every given scheduler node counts {@code members} Up. A test that creates tasks
   * before a second node has joined has their shards rebalanced onto it a few seconds later, and
   * a moved task's in-memory state starts again empty (until its holders announce it again).
   */
  public static void awaitSchedulerMembers(int members, Proc... schedulers) throws Exception {
    long deadline = System.nanoTime() + java.time.Duration.ofSeconds(45).toNanos();
    for (Proc s : schedulers) {
      java.net.URI uri = java.net.URI.create("http://" + s.grpc() + "/metrics");
      while (dev.dfcache.metrics.PrometheusText.parse(httpGet(plainHttp(), uri))
          .value("dfcache_scheduler_cluster_members") != members) {
        if (System.nanoTime() > deadline) {
          throw new AssertionError(s.name + " never counted " + members + " members");
        }
        Thread.sleep(200);
      }
    }
  }

  /** An HTTP/1.1 client: no h2c upgrade offered to servers that also speak gRPC. */
  public static java.net.http.HttpClient plainHttp() {
    return java.net.http.HttpClient.newBuilder()
        .version(java.net.http.HttpClient.Version.HTTP_1_1).build();
  }

  /**
   * The body of a GET, asked again (3 tries) when the connection fails: a process busy with a
   * test's load may reset a new connection, which is not what a metrics poll checks.
   */
  public static String httpGet(java.net.http.HttpClient client, java.net.URI uri)
      throws Exception {
    for (int attempt = 1; ; attempt++) {
      try {
        return client.send(java.net.http.HttpRequest.newBuilder(uri)
                .timeout(java.time.Duration.ofSeconds(30)).build(),
            java.net.http.HttpResponse.BodyHandlers.ofString()).body();
      } catch (java.io.IOException e) {
        if (attempt == 3) {
          throw e;
        }
        Thread.sleep(500L * attempt);
      }
    }
  }

  private Proc start(String name, List<String> args, String readyLine, int grpc, int other,
      Path dataDir, int timeoutSeconds, java.util.Map<String, String> env) throws Exception {
    List<String> cmd = new ArrayList<>(commandPrefix);
    cmd.addAll(List.of(javaBin(), "-Xmx512m", "-XX:+UseSerialGC"));
    cmd.addAll(jvmOptions);
    cmd.addAll(List.of("-jar", JAR.toString()));
    cmd.addAll(args);
    boolean tls = tlsDir != null
        && List.of("scheduler", "dfdaemon", "manager").contains(args.get(0))
        && !args.contains("--tls-dir");
    if (tls) {
      cmd.addAll(List.of("--tls-dir", tlsDir.toString()));
    }
    Path log = logs.resolve(name + "-" + System.nanoTime() + ".log");
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().putAll(env);
    Process p = pb.start();
    Proc proc = new Proc(name, p, grpc, other, dataDir, args);
    proc.env = env;
    proc.log = log;
    proc.tls = tls ? tlsDir : null;
    int socketFlag = args.indexOf("--socket");
    proc.socket = socketFlag >= 0 ? Path.of(args.get(socketFlag + 1)) : null;
    procs.add(proc);
    CompletableFuture<Void> ready = new CompletableFuture<>();
    Thread pump = new Thread(() -> {
      try (BufferedReader r = new BufferedReader(
          new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
          var out = Files.newBufferedWriter(log)) {
        String line;
        while ((line = r.readLine()) != null) {
          out.write(line);
          out.newLine();
          out.flush();
          if (line.startsWith(readyLine)) {
            ready.complete(null);
          }
        }
      } catch (IOException ignored) {
        // process gone
      }
      ready.completeExceptionally(new IllegalStateException(name + " exited; see " + log));
    }, "log-" + name);
    pump.setDaemon(true);
    pump.start();
    ready.get(timeoutSeconds, TimeUnit.SECONDS);
    return proc;
  }

  private Proc start(String name, List<String> args, String readyLine, int grpc, int other,
      Path dataDir, int timeoutSeconds) throws Exception {
    return start(name, args, readyLine, grpc, other, dataDir, timeoutSeconds, java.util.Map.of());
  }

  /** kill -9. */
  public void kill(Proc p) throws InterruptedException {
    p.process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
  }

  /** SIGTERM, then wait for a graceful exit. */
  public void stop(Proc p) throws InterruptedException {
    p.process.destroy();
    if (!p.process.waitFor(30, TimeUnit.SECONDS)) {
      p.process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
  }

  public static String javaBin() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  /** Runs the real CLI: {@code java -jar dfcache.jar dfcache --daemon unix:SOCKET args...}. */
  public static CliResult cli(Proc daemon, String... args) throws Exception {
    return cliAs(List.of(), daemon, args);
  }

  /** The CLI run with a command prefix, e.g. setpriv to call as an unprivileged user. */
  public static CliResult cliAs(List<String> prefix, Proc daemon, String... args)
      throws Exception {
    List<String> cmd = new ArrayList<>(prefix);
    cmd.addAll(List.of(javaBin(), "-Xmx128m",
        "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-jar", JAR.toString(), "dfcache",
        "--daemon", daemon.localApi()));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).start();
    CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> read(p.getInputStream()));
    CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> read(p.getErrorStream()));
    if (!p.waitFor(300, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      fail("dfcache " + String.join(" ", args) + " did not finish");
    }
    return new CliResult(p.exitValue(), out.get(), err.get());
  }

  /**
   * The real CLI on a pseudo-terminal, as a user at a shell runs it: through util-linux
   * {@code script}, which gives the command a pty for stdin, stdout and stderr and copies what
   * it prints (both streams, newlines as CRLF) to its own stdout, here {@link CliResult#out()}.
   * DFCACHE_PROGRESS and COLUMNS are unset, so the CLI decides from the terminal alone.
   */
  public static CliResult cliOnTerminal(Proc daemon, String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(javaBin(), "-Xmx128m",
        "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-jar", JAR.toString(), "dfcache",
        "--daemon", daemon.localApi()));
    cmd.addAll(List.of(args));
    String shell = String.join(" ", cmd.stream()
        .map(a -> "'" + a.replace("'", "'\\''") + "'").toList());
    ProcessBuilder pb = new ProcessBuilder("script", "-q", "-e", "-c", shell, "/dev/null");
    pb.environment().remove("DFCACHE_PROGRESS");
    pb.environment().remove("COLUMNS");
    // stdin stays an open pipe: script stops copying when its input ends
    Process p = pb.start();
    CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> read(p.getInputStream()));
    CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> read(p.getErrorStream()));
    if (!p.waitFor(300, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      fail("dfcache " + String.join(" ", args) + " on a terminal did not finish");
    }
    p.getOutputStream().close();
    return new CliResult(p.exitValue(), out.get(), err.get());
  }

  private static String read(java.io.InputStream in) {
    try {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "";
    }
  }

  public record CliResult(int exit, String out, String err) {
    @Override
    public String toString() {
      return "exit " + exit + ", stdout: " + out.strip() + ", stderr: " + err.strip();
    }
  }

  @Override
  public void close() {
    List<Proc> procs = List.copyOf(this.procs);
    for (Proc p : procs) {
      p.process.destroyForcibly();
    }
    for (Proc p : procs) {
      try {
        p.process.waitFor(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    this.procs.clear();
    if (ownsWork) {
      try {
        deleteTree(work);
      } catch (IOException e) {
        System.err.println("could not delete " + work + ": " + e);
      }
    }
  }
}
