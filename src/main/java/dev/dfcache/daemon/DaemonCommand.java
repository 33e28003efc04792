package dev.dfcache.daemon;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.dfcache.cli.Units;
import dev.dfcache.common.FlagOverlay;
import dev.dfcache.common.HostPort;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code dfdaemon}: starts a peer daemon; flags override {@code dfcache.daemon} config keys. */
@Command(name = "dfdaemon", mixinStandardHelpOptions = true,
    description = {
        // one string per paragraph: picocli wraps it to the terminal's 80 columns
        "The dfcache peer daemon of one node: keeps the node's cache, serves the dfdaemon.Daemon "
            + "gRPC API to dfcache and other clients, uploads pieces to other peers, and announces "
            + "what it holds to the scheduler fleet. Flags override the dfcache.daemon.* config "
            + "keys."})
public final class DaemonCommand implements Callable<Integer> {
  @Option(names = "--host", paramLabel = "IP", description = "address peers reach this daemon "
      + "at (default: the first non-loopback address; env DFCACHE_HOST)")
  String host;

  @Option(names = "--socket", paramLabel = "PATH", description = "unix socket of the local API "
      + "that dfcache calls (default /run/dfcache/dfdaemon.sock; env DFCACHE_SOCKET)")
  Path socket;

  @Option(names = "--socket-mode", paramLabel = "OCTAL",
      description = "permissions of the socket file (default 0660)")
  String socketMode;

  @Option(names = "--socket-group", paramLabel = "GROUP",
      description = "group of the socket file: its members may call the local API "
          + "(default: the daemon's group)")
  String socketGroup;

  @Option(names = "--legacy-tcp-local-api",
      description = "also serve stat/import/export/delete on the TCP gRPC port, to callers on "
          + "this host only, acting as the daemon, inside allowed-import-dirs / "
          + "allowed-export-dirs (none by default). Off: that port is the peer API only")
  Boolean legacyTcpLocalApi;

  @Option(names = "--tls-dir", paramLabel = "DIR",
      description = "ca.crt, tls.crt, tls.key (bin/dfcache-certs): call the schedulers over "
          + "mutual TLS, and other daemons too (env DFCACHE_TLS_DIR; with --standalone its "
          + "scheduler uses them too)")
  Path tlsDir;

  @Option(names = "--grpc-port", paramLabel = "PORT", description = "gRPC port (default 65000)")
  Integer grpcPort;

  @Option(names = "--upload-port", paramLabel = "PORT",
      description = "piece upload port (default 65002)")
  Integer uploadPort;

  @Option(names = "--data-dir", paramLabel = "DIR", description = "cache directory")
  Path dataDir;

  @Option(names = "--schedulers", paramLabel = "HOST:PORT[,HOST:PORT...]",
      description = "scheduler gRPC addresses")
  String schedulers;

  @Option(names = "--scheduler-tls-name", paramLabel = "NAME",
      description = "with --tls-dir: the name every scheduler's certificate must carry, whatever "
          + "address it is dialled at (the manager hands out addresses). Default: each "
          + "--schedulers entry its own host, and addresses from the manager the host of the "
          + "first entry (when that is a name, e.g. the Kubernetes Service)")
  String schedulerTlsName;

  @Option(names = "--manager-tls-name", paramLabel = "NAME",
      description = "with --tls-dir: the name the manager's certificate must carry "
          + "(default: the host of --manager)")
  String managerTlsName;

  @Option(names = "--host-id", paramLabel = "ID",
      description = "stable id of this host (default ip-grpcport)")
  String hostId;

  @Option(names = "--standalone",
      description = "run a single-node scheduler in this JVM: dfcache on one machine, no other process")
  boolean standalone;

  @Option(names = "--upload-limit", paramLabel = "SIZE",
      description = "total upload rate of this daemon per second, e.g. 100MiB (0 = none)")
  String uploadLimit;

  @Option(names = "--download-limit", paramLabel = "SIZE",
      description = "total download rate of this daemon per second (0 = none)")
  String downloadLimit;

  @Option(names = "--max-uploads", paramLabel = "N",
      description = "piece uploads served at once; more are refused with 503 (default 64)")
  Integer maxUploads;

  @Option(names = "--store-quota", paramLabel = "SIZE",
      description = "bytes the cache may hold, e.g. 50GiB (0 = none: GC watches the disk)")
  String storeQuota;

  @Option(names = "--idc", paramLabel = "IDC",
      description = "this host's IDC: downloads prefer parents in the same one (env DFCACHE_IDC)")
  String idc;

  @Option(names = "--location", paramLabel = "REGION[|ZONE...]",
      description = "this host's location, wide to narrow: downloads prefer parents in the same "
          + "region (env DFCACHE_LOCATION)")
  String location;

  @Option(names = "--requests-per-parent", paramLabel = "N",
      description = "piece requests one download keeps in flight per parent (default 3)")
  Integer requestsPerParent;

  @Option(names = "--manager", paramLabel = "HOST:PORT",
      description = "the manager's gRPC address (env DFCACHE_MANAGER): the daemon learns its "
          + "schedulers from it (--schedulers becomes optional), reports itself, and applies "
          + "its cluster's client_config live (rate limits, upload concurrency, GC watermarks, "
          + "import defaults); the last one is cached in the data dir for a start without it")
  String manager;

  @Option(names = "--scheduler-cluster", paramLabel = "NAME",
      description = "with --manager: the scheduler cluster to join (default: by the clusters' "
          + "scopes, else the default cluster)")
  String schedulerCluster;

  @Override
  public Integer call() throws Exception {
    Config config = new FlagOverlay("dfcache.daemon")
        .putIfSet("host", host)
        .putIfSet("socket", socket == null ? null : socket.toAbsolutePath().toString())
        .putIfSet("socket-mode", socketMode)
        .putIfSet("socket-group", socketGroup)
        .putIfSet("legacy-tcp-local-api", legacyTcpLocalApi)
        .putIfSet("tls-dir", tlsDir == null ? null : tlsDir.toAbsolutePath().toString())
        .putIfSet("grpc-port", grpcPort)
        .putIfSet("upload-port", uploadPort)
        .putIfSet("data-dir", dataDir == null ? null : dataDir.toAbsolutePath().toString())
        .putIfSet("schedulers", schedulers == null ? null
            : HostPort.parseList(schedulers).stream().map(HostPort::toString).toList())
        .putIfSet("host-id", hostId)
        .putIfSet("upload-limit", uploadLimit == null ? null : Units.parseBytes(uploadLimit))
        .putIfSet("download-limit", downloadLimit == null ? null : Units.parseBytes(downloadLimit))
        .putIfSet("max-concurrent-uploads", maxUploads)
        .putIfSet("store-quota", storeQuota == null ? null : Units.parseBytes(storeQuota))
        .putIfSet("idc", idc)
        .putIfSet("location", location)
        .putIfSet("requests-per-parent", requestsPerParent)
        .putIfSet("manager", manager == null ? null : HostPort.parse(manager).toString())
        .putIfSet("scheduler-cluster", schedulerCluster)
        .putIfSet("scheduler-tls-name", schedulerTlsName)
        .putIfSet("manager-tls-name", managerTlsName)
        .over(ConfigFactory.load());
    DaemonNode node = DaemonNode.start(DaemonSettings.fromConfig(config), config, standalone);
    System.out.println("dfdaemon ready socket=unix:" + node.socket() + " grpc="
        + node.grpcAddress() + " upload=" + node.self().uploadAddress() + " id="
        + node.self().id());
    System.out.flush();
    return 0;
  }

  public static void main(String[] args) {
    CommandLine cl = new CommandLine(new DaemonCommand());
    int code = cl.execute(args);
    if (code != 0 || cl.isUsageHelpRequested() || cl.isVersionHelpRequested()) {
      System.exit(code);
    }
  }
}
