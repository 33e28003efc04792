package dev.dfcache.bench;

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
 * Scheduler and dfdaemon processes for the benchmark, from the same jar, killed on close. Each runs
 * on a {@link Host}: 127.0.0.1 by default, or an address inside a network namespace
 * ({@link NetnsHosts}).
 */
final class BenchProcesses implements AutoCloseable {
  private final Path jar;
  private final Path work;
  private final List<Node> nodes = new ArrayList<>();
  private final String serverJvmOptions;

  /**
   * Where a process runs: the address it binds and advertises, and the command that puts it there
   * (e.g. {@code ip netns exec dfb-h0}, which execs the JVM, so the process's pid is the JVM's).
   */
  record Host(String address, List<String> launcher) {
    static final Host LOOPBACK = new Host("127.0.0.1", List.of());
  }

  /** otherPort: the scheduler's cluster port, the daemon's upload port (which serves /metrics). */
  record Node(String name, Process process, String host, int grpcPort, int otherPort,
      Path socket) {
    String grpc() {
      return host + ":" + grpcPort;
    }
  }

  /** Certificates every scheduler and daemon runs with (--tls-dir); null = plaintext. */
  private final Path tlsDir;

  BenchProcesses(Path jar, Path work, String serverJvmOptions) {
    this(jar, work, serverJvmOptions, null);
  }

  BenchProcesses(Path jar, Path work, String serverJvmOptions, Path tlsDir) {
    this.tlsDir = tlsDir;
    this.jar = jar;
    this.work = work;
    this.serverJvmOptions = serverJvmOptions;
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  Node scheduler(String name, int clusterPort, List<Integer> seedPorts) throws Exception {
    return scheduler(Host.LOOPBACK, name, clusterPort, seedPorts);
  }

  /** A scheduler node on {@code on}; seedPorts are cluster ports on the same address. */
  Node scheduler(Host on, String name, int clusterPort, List<Integer> seedPorts) throws Exception {
    int grpc = freePort();
    List<String> args = new ArrayList<>(List.of("scheduler", "--host", on.address(),
        "--grpc-port", "" + grpc, "--cluster-port", "" + clusterPort));
    if (!seedPorts.isEmpty()) {
      args.add("--seed-nodes");
      args.add(String.join(",", seedPorts.stream().map(p -> on.address() + ":" + p).toList()));
    }
    return start(on, name, args, "scheduler up", grpc, clusterPort);
  }

  Node daemon(String name, String schedulers, String... extra) throws Exception {
    return daemon(Host.LOOPBACK, name, schedulers, extra);
  }

  Node daemon(Host on, String name, String schedulers, String... extra) throws Exception {
    // Free on the root namespace's loopback; a namespace of the bench's own has none in use.
    int grpc = freePort();
    int upload = freePort();
    List<String> args = new ArrayList<>(List.of("dfdaemon", "--host", on.address(),
        "--grpc-port", "" + grpc, "--upload-port", "" + upload,
        "--data-dir", work.resolve(name).toString(), "--schedulers", schedulers,
        // a path, so reachable from the root namespace whatever network namespace runs it
        "--socket", work.resolve("sockets").resolve(name + ".sock").toString()));
    args.addAll(List.of(extra));
    return start(on, name, args, "dfdaemon ready", grpc, upload);
  }

  private Node start(Host on, String name, List<String> args, String ready, int grpc, int other)
      throws Exception {
    List<String> cmd = new ArrayList<>(on.launcher());
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(List.of(serverJvmOptions.split("\\s+")));
    cmd.addAll(List.of("-jar", jar.toString()));
    cmd.addAll(args);
    if (tlsDir != null) {
      cmd.addAll(List.of("--tls-dir", tlsDir.toString()));
    }
    Path log = work.resolve(name + ".log");
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    int socketFlag = args.indexOf("--socket");
    Node node = new Node(name, p, on.address(), grpc, other,
        socketFlag < 0 ? null : Path.of(args.get(socketFlag + 1)));
    nodes.add(node);
    CompletableFuture<Void> up = new CompletableFuture<>();
    Thread pump = new Thread(() -> {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(),
          StandardCharsets.UTF_8)); var out = Files.newBufferedWriter(log)) {
        for (String line; (line = r.readLine()) != null; ) {
          out.write(line);
          out.newLine();
          out.flush();
          if (line.startsWith(ready)) {
            up.complete(null);
          }
        }
      } catch (IOException ignored) {
        // exited
      }
      up.completeExceptionally(new IllegalStateException(name + " exited, see " + log));
    });
    pump.setDaemon(true);
    pump.start();
    up.get(90, TimeUnit.SECONDS);
    return node;
  }

  /** Heap in use after a full GC, via jcmd (GC.run, then GC.heap_info). */
  static long heapUsedAfterGc(Process p) throws Exception {
    String jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd").toString();
    run(jcmd, "" + p.pid(), "GC.run");
    String info = run(jcmd, "" + p.pid(), "GC.heap_info");
    java.util.regex.Matcher m = java.util.regex.Pattern
        .compile("used (\\d+)K").matcher(info);
    return m.find() ? Long.parseLong(m.group(1)) * 1024 : -1;
  }

  static String run(String... cmd) throws Exception {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    p.waitFor(60, TimeUnit.SECONDS);
    return out;
  }

  @Override
  public void close() {
    nodes.forEach(n -> n.process().destroyForcibly());
    for (Node n : nodes) {
      try {
        n.process().waitFor(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
