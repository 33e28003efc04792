package dev.dfcache.bench;

import dev.dfcache.bench.BenchProcesses.Host;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Hosts for the swarm benchmark, each in a network namespace of its own, with a {@code tc} cap on
 * its upload. On 127.0.0.1 the only cap is the daemons' own rate limiter, so a swarm figure there
 * says what the code believes the network allows; here the kernel enforces it, on every byte the
 * host sends (TCP/IP headers and retransmissions included), and the seed's interface counter says
 * how much it really sent. Needs root (CAP_NET_ADMIN) and iproute2.
 *
 * <p>Everything is named with {@link #PREFIX}, so that what a killed run left behind is found and
 * removed by the next one (and by nothing else):
 * <pre>
 *   namespace dfb-br      bridge br0, holding the bridge ends of all veth pairs below
 *   namespace dfb-h&lt;i&gt;    eth0 = 10.213.X.(10+i)/24, an egress qdisc at the cap ({@link Shaper}); lo up
 *   namespace dfb-sched   eth0 = 10.213.X.2/24, no cap: the scheduler's few bytes are not measured
 *   root namespace        dfb-ctl = 10.213.X.1/24: the bench's own gRPC calls (import, export and
 *                         /metrics; the requests name files, no content crosses it)
 * </pre>
 * The processes started in a namespace see only its lo and eth0, so they cannot use any address
 * outside the namespaces made here. X is the first of a few /24s that no address or route of the
 * root namespace overlaps.
 */
final class NetnsHosts implements AutoCloseable {
  /**
   * How a host's upload is capped. Both count every byte the host sends, pure ACKs included.
   * <ul>
   *   <li>{@code HTB_ACKS_FIRST}: htb at the cap, pure TCP ACKs in a class served first, the rest
   *       in a FIFO of 50 ms. A host's ACKs then leave at once, as they do from a host whose
   *       qdisc queues per flow (fq_codel, Linux's default) or prioritises them.
   *   <li>{@code TBF_FIFO}: tbf at the cap with one FIFO of 50 ms. A downloader's ACKs for what
   *       it receives wait behind its own uploads (up to 50 ms, or are dropped when the FIFO is
   *       full), so its parents' TCP flows slow down: the harshest link there is.
   * </ul>
   */
  enum Shaper {
    HTB_ACKS_FIRST("htb, ACKs first"), TBF_FIFO("tbf, one FIFO");

    final String label;

    Shaper(String label) {
      this.label = label;
    }
  }

  static final String PREFIX = "dfb-";
  private static final String BRIDGE_NS = PREFIX + "br";
  private static final String SCHEDULER_NS = PREFIX + "sched";
  private static final String CONTROL_LINK = PREFIX + "ctl";

  private final String subnet;
  private final int hosts;
  private final AtomicBoolean closed = new AtomicBoolean();
  private final Thread onExit = new Thread(NetnsHosts::removeAll, "netns-cleanup");

  private NetnsHosts(String subnet, int hosts) {
    this.subnet = subnet;
    this.hosts = hosts;
  }

  /** Why namespace hosts cannot be made here, or null if they can (as far as one can tell). */
  static String whyUnavailable() {
    try {
      if (!BenchProcesses.run("id", "-u").trim().equals("0")) {
        return "not root";
      }
      BenchProcesses.run("ip", "-V");
      BenchProcesses.run("tc", "-V");
      return null;
    } catch (Exception e) {
      return "no ip/tc command (" + e.getMessage() + ")";
    }
  }

  /**
   * Hosts 0..hosts-1 plus the scheduler's, each host's upload capped at capBitsPerSecond. Removes
   * the left-overs of an earlier run first; removes what it made if it fails half way.
   */
  static NetnsHosts create(int hosts, long capBitsPerSecond, Shaper shaper) throws Exception {
    removeAll();
    NetnsHosts made = new NetnsHosts(freeSubnet(), hosts);
    Runtime.getRuntime().addShutdownHook(made.onExit); // Ctrl-C leaves nothing behind either
    try {
      ip("netns", "add", BRIDGE_NS);
      ip("-n", BRIDGE_NS, "link", "add", "br0", "type", "bridge");
      ip("-n", BRIDGE_NS, "link", "set", "br0", "up");
      // the root namespace's end: the bench talks to the daemons through it
      ip("link", "add", CONTROL_LINK, "type", "veth", "peer", "name", "ctl", "netns", BRIDGE_NS);
      attach("ctl");
      ip("addr", "add", made.subnet + "1/24", "dev", CONTROL_LINK);
      ip("link", "set", CONTROL_LINK, "up");
      made.addHost(SCHEDULER_NS, "sched", made.subnet + "2", 0, shaper);
      for (int i = 0; i < hosts; i++) {
        made.addHost(ns(i), "h" + i, made.address(i), capBitsPerSecond, shaper);
      }
      return made;
    } catch (Exception | Error e) {
      made.close();
      throw e;
    }
  }

  /** A namespace with lo up and eth0 on the bridge; cap > 0: the shaper on eth0's egress. */
  private void addHost(String ns, String bridgeEnd, String address, long capBitsPerSecond,
      Shaper shaper) throws Exception {
    ip("netns", "add", ns);
    ip("-n", ns, "link", "set", "lo", "up");
    ip("-n", BRIDGE_NS, "link", "add", bridgeEnd, "type", "veth", "peer", "name", "eth0",
        "netns", ns);
    attach(bridgeEnd);
    ip("-n", ns, "addr", "add", address + "/24", "dev", "eth0");
    ip("-n", ns, "link", "set", "eth0", "up");
    if (capBitsPerSecond > 0) {
      // Egress of the host's own interface = its upload; what it downloads arrives uncapped, as
      // the S/B bound assumes. Buckets of 4 KB keep bursts to ~3 frames, 50 ms of queue at most.
      if (shaper == Shaper.HTB_ACKS_FIRST) {
        String rate = capBitsPerSecond + "bit";
        tc(ns, "qdisc", "add", "dev", "eth0", "root", "handle", "1:", "htb", "default", "20",
            "r2q", "100");
        tc(ns, "class", "add", "dev", "eth0", "parent", "1:", "classid", "1:1", "htb", "rate",
            rate, "burst", "4k", "cburst", "4k");
        tc(ns, "class", "add", "dev", "eth0", "parent", "1:1", "classid", "1:10", "htb", "rate",
            capBitsPerSecond / 10 + "bit", "ceil", rate, "prio", "0", "burst", "4k", "cburst", "4k");
        tc(ns, "class", "add", "dev", "eth0", "parent", "1:1", "classid", "1:20", "htb", "rate",
            capBitsPerSecond * 9 / 10 + "bit", "ceil", rate, "prio", "1", "burst", "4k",
            "cburst", "4k");
        tc(ns, "qdisc", "add", "dev", "eth0", "parent", "1:20", "handle", "20:", "bfifo", "limit",
            Long.toString(capBitsPerSecond / 8 / 20));
        // TCP segments of at most 64 bytes of IP length (pure ACKs) go first
        tc(ns, "filter", "add", "dev", "eth0", "parent", "1:", "protocol", "ip", "prio", "1",
            "u32", "match", "ip", "protocol", "6", "0xff", "match", "u16", "0x0000", "0xffc0",
            "at", "2", "flowid", "1:10");
      } else {
        tc(ns, "qdisc", "add", "dev", "eth0", "root", "tbf",
            "rate", capBitsPerSecond + "bit", "burst", "32kbit", "latency", "50ms");
      }
    }
  }

  private static void tc(String ns, String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", ns, "tc"));
    cmd.addAll(List.of(args));
    exec(cmd.toArray(String[]::new));
  }

  private static void attach(String bridgeEnd) throws Exception {
    ip("-n", BRIDGE_NS, "link", "set", bridgeEnd, "master", "br0");
    ip("-n", BRIDGE_NS, "link", "set", bridgeEnd, "up");
  }

  int count() {
    return hosts;
  }

  Host host(int i) {
    return new Host(address(i), List.of("ip", "netns", "exec", ns(i)));
  }

  Host scheduler() {
    return new Host(subnet + "2", List.of("ip", "netns", "exec", SCHEDULER_NS));
  }

  String describe() {
    return String.format("namespaces %s0..%d on bridge %s/br0, %s0/24", PREFIX + "h", hosts - 1,
        BRIDGE_NS, subnet);
  }

  /** Bytes host i has sent so far, frames as counted by its eth0 (headers included). */
  long txBytes(int i) throws Exception {
    return Long.parseLong(exec("ip", "netns", "exec", ns(i), "cat",
        "/sys/class/net/eth0/statistics/tx_bytes").trim());
  }

  private String address(int i) {
    return subnet + (10 + i);
  }

  private static String ns(int i) {
    return PREFIX + "h" + i;
  }

  @Override
  public void close() {
    if (closed.compareAndSet(false, true)) {
      removeAll();
      try {
        Runtime.getRuntime().removeShutdownHook(onExit);
      } catch (IllegalStateException shuttingDown) {
        // the hook is what runs this
      }
    }
  }

  /**
   * Kills every process left in a namespace of ours, then deletes the namespaces (which takes
   * their veths and the bridge along) and any link of ours left in the root namespace.
   */
  static void removeAll() {
    try {
      List<String> ours = new ArrayList<>();
      for (String line : BenchProcesses.run("ip", "netns", "list").split("\n")) {
        String name = line.trim().split("\\s+")[0];
        if (name.startsWith(PREFIX)) {
          ours.add(name);
        }
      }
      List<ProcessHandle> left = new ArrayList<>();
      for (String ns : ours) {
        for (String pid : BenchProcesses.run("ip", "netns", "pids", ns).trim().split("\\s+")) {
          if (!pid.isEmpty()) {
            ProcessHandle.of(Long.parseLong(pid)).ifPresent(left::add);
          }
        }
      }
      left.forEach(ProcessHandle::destroyForcibly);
      for (ProcessHandle p : left) {
        p.onExit().orTimeout(10, TimeUnit.SECONDS).exceptionally(t -> null).join();
      }
      for (String ns : ours) {
        BenchProcesses.run("ip", "netns", "del", ns);
      }
      Matcher links = Pattern.compile("^\\d+: (" + Pattern.quote(PREFIX) + "[^:@\\s]+)",
          Pattern.MULTILINE).matcher(BenchProcesses.run("ip", "-o", "link", "show"));
      while (links.find()) {
        BenchProcesses.run("ip", "link", "del", links.group(1));
      }
    } catch (Exception e) {
      System.out.println("  (cleaning up the namespaces " + PREFIX + "*: " + e + ")");
    }
  }

  /** "10.213.X." for the first X whose /24 no address or route of the root namespace overlaps. */
  private static String freeSubnet() throws Exception {
    String inUse = BenchProcesses.run("ip", "-o", "-4", "addr", "show")
        + BenchProcesses.run("ip", "-4", "route", "show", "table", "all");
    Matcher m = Pattern.compile("(\\d+)\\.(\\d+)\\.(\\d+)\\.(\\d+)(?:/(\\d+))?").matcher(inUse);
    List<long[]> nets = new ArrayList<>(); // {address, prefix length}
    while (m.find()) {
      long a = 0;
      for (int g = 1; g <= 4; g++) {
        a = a << 8 | Integer.parseInt(m.group(g));
      }
      nets.add(new long[] {a, m.group(5) == null ? 32 : Integer.parseInt(m.group(5))});
    }
    for (int x = 213; x < 223; x++) {
      long ours = (10L << 24) | (213L << 16) | ((long) x << 8);
      boolean free = true;
      for (long[] n : nets) {
        int len = (int) Math.min(24, n[1]);
        long mask = len == 0 ? 0 : (0xFFFFFFFFL << (32 - len)) & 0xFFFFFFFFL;
        // a default route (length 0) overlaps everything and says nothing about use
        free &= n[1] == 0 || (n[0] & mask) != (ours & mask);
      }
      if (free) {
        return "10.213." + x + ".";
      }
    }
    throw new IllegalStateException("10.213.213-222.0/24 all overlap addresses or routes here");
  }

  private static void ip(String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("ip"));
    cmd.addAll(List.of(args));
    exec(cmd.toArray(String[]::new));
  }

  /** Runs a command, returns its output; throws with the output if it fails. */
  private static String exec(String... cmd) throws Exception {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IOException(String.join(" ", cmd) + " failed: " + out.trim());
    }
    return out;
  }
}
