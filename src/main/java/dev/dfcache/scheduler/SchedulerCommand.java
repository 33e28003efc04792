package dev.dfcache.scheduler;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.dfcache.common.FlagOverlay;
import dev.dfcache.common.HostPort;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code scheduler}: starts one scheduler node; flags override {@code dfcache.scheduler} keys. */
@Command(name = "scheduler", mixinStandardHelpOptions = true,
    description = {
        // one string per paragraph: picocli wraps it to the terminal's 80 columns
        "One node of the dfcache scheduler fleet, a Pekko cluster: hosts the task entities placed "
            + "on it by consistent hashing (with bounded loads) and serves scheduler.Scheduler and "
            + "dfcache.PeerScheduler over gRPC. With no --seed-nodes it forms a cluster of its own.",
        "With --bootstrap kubernetes it finds the other scheduler pods through the Kubernetes API "
            + "(pekko-management cluster bootstrap) instead of seed nodes.",
        "GET /metrics (Prometheus) and /healthz are served on the gRPC port; /ready and /alive on "
            + "the management port."})
public final class SchedulerCommand implements Callable<Integer> {
  @Option(names = "--host", paramLabel = "IP", description = "address to bind and advertise")
  String host;

  @Option(names = "--grpc-port", paramLabel = "PORT", description = "gRPC port (default 8002)")
  Integer grpcPort;

  @Option(names = "--cluster-port", paramLabel = "PORT",
      description = "Pekko cluster (Artery) port (default 17355)")
  Integer clusterPort;

  @Option(names = "--seed-nodes", paramLabel = "HOST:PORT[,HOST:PORT...]",
      description = "cluster ports of nodes to join (include this node's own on the first node)")
  String seedNodes;

  @Option(names = "--bootstrap", paramLabel = "config|kubernetes",
      description = "how to find the fleet: config = --seed-nodes (default), kubernetes = "
          + "cluster bootstrap through the Kubernetes API (pods labelled app=dfcache-scheduler)")
  String bootstrap;

  @Option(names = "--management-port", paramLabel = "PORT",
      description = "pekko-management HTTP port for /ready, /alive, /cluster/members "
          + "(default: none in config mode, 7626 in kubernetes mode)")
  Integer managementPort;

  @Option(names = "--tls-dir", paramLabel = "DIR",
      description = "ca.crt, tls.crt and tls.key (PEM; bin/dfcache-certs makes them): the "
          + "scheduler nodes talk to each other, and daemons to them, over mutual TLS; only "
          + "certificates of that CA are admitted, into the cluster only those with the "
          + "scheduler role (env DFCACHE_TLS_DIR)")
  Path tlsDir;

  @Option(names = "--peer-identity", paramLabel = "RULE",
      description = "with --tls-dir, whom a daemon may act for: 'address' (default) = peers "
          + "at the IP addresses its certificate names, so one daemon cannot announce, leave or "
          + "report as another; 'source' = peers at the address it connects from (one "
          + "certificate for all daemons, no NAT: Kubernetes); 'any' = any peer "
          + "(env DFCACHE_PEER_IDENTITY)")
  String peerIdentity;

  @Option(names = "--manager", paramLabel = "HOST:PORT",
      description = "the manager's gRPC address (env DFCACHE_MANAGER): register, keep alive, "
          + "and apply the cluster's config live; without it the flags and config file rule")
  String manager;

  @Option(names = "--manager-tls-name", paramLabel = "NAME",
      description = "with --tls-dir: the name the manager's certificate must carry, whatever "
          + "address --manager resolves to (default: the host of --manager)")
  String managerTlsName;

  @Option(names = "--scheduler-cluster", paramLabel = "NAME",
      description = "with --manager: the scheduler cluster to join (default: by the clusters' "
          + "scopes, else the default cluster)")
  String schedulerCluster;

  @Option(names = "--data-dir", paramLabel = "DIR",
      description = "where the last configuration from the manager is cached, to start from "
          + "when the manager is down (default /var/lib/dfcache/scheduler)")
  Path dataDir;

  @Override
  public Integer call() throws Exception {
    // A node the cluster downed must exit so that its supervisor (systemd, Kubernetes) restarts it.
    System.setProperty("pekko.coordinated-shutdown.exit-jvm", "on");
    ConfigFactory.invalidateCaches();
    Config config = new FlagOverlay("dfcache.scheduler")
        .putIfSet("host", host)
        .putIfSet("grpc-port", grpcPort)
        .putIfSet("cluster-port", clusterPort)
        .putIfSet("seed-nodes", seedNodes == null ? null
            : HostPort.parseList(seedNodes).stream().map(HostPort::toString).toList())
        .putIfSet("bootstrap", bootstrap == null ? null
            : SchedulerSettings.Bootstrap.parse(bootstrap).name().toLowerCase(java.util.Locale.ROOT))
        .putIfSet("management-port", managementPort)
        .putIfSet("manager", manager == null ? null : HostPort.parse(manager).toString())
        .putIfSet("scheduler-cluster", schedulerCluster)
        .putIfSet("manager-tls-name", managerTlsName)
        .putIfSet("data-dir", dataDir == null ? null : dataDir.toAbsolutePath().toString())
        .putIfSet("tls-dir", tlsDir == null ? null : tlsDir.toAbsolutePath().toString())
        .putIfSet("peer-identity", peerIdentity == null ? null
            : SchedulerSettings.IdentityRule.parse(peerIdentity).name().toLowerCase(
                java.util.Locale.ROOT))
        .over(ConfigFactory.load());
    SchedulerSettings s = SchedulerSettings.fromConfig(config);
    if (s.bootstrap() == SchedulerSettings.Bootstrap.KUBERNETES && !s.seedNodes().isEmpty()) {
      throw new CommandLine.ParameterException(new CommandLine(this),
          "--seed-nodes and --bootstrap kubernetes exclude each other");
    }
    ClusterTls.check(s);
    SchedulerNode node = SchedulerNode.start(s, config, null);
    System.out.println("scheduler started grpc=" + node.grpcAddress() + " cluster="
        + node.clusterAddress() + " bootstrap=" + s.bootstrap().name().toLowerCase()
        + (s.effectiveManagementPort() > 0 ? " management=" + s.effectiveManagementPort() : ""));
    System.out.flush();
    if (s.bootstrap() == SchedulerSettings.Bootstrap.KUBERNETES) {
      // Bootstrap waits for the other pods as long as it takes; readiness says when it is done.
      HostPort grpc = node.grpcAddress();
      node.whenUp().thenRun(() -> {
        System.out.println("scheduler up grpc=" + grpc);
        System.out.flush();
      });
      return 0;
    }
    node.whenUp().toCompletableFuture().get(120, TimeUnit.SECONDS);
    System.out.println("scheduler up grpc=" + node.grpcAddress());
    System.out.flush();
    return 0;
  }

  public static void main(String[] args) {
    CommandLine cl = new CommandLine(new SchedulerCommand());
    int code = cl.execute(args);
    if (code != 0 || cl.isUsageHelpRequested() || cl.isVersionHelpRequested()) {
      System.exit(code);
    }
  }
}
