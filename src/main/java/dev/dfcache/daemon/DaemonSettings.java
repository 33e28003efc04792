package dev.dfcache.daemon;

import com.typesafe.config.Config;
import dev.dfcache.common.HostPort;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/** A dfdaemon's settings: {@code dfcache.daemon} in application.conf, then launcher flags. */
public record DaemonSettings(
    String host,
    String hostId,
    int grpcPort,
    int uploadPort,
    Path dataDir,
    List<HostPort> schedulers,
    Duration heartbeatInterval,
    Duration reannounceSettle,
    int announceAttempts,
    Duration schedulerCallTimeout,
    int pieceParallelism,
    int requestsPerParent,
    long maxInflightBytes,
    int pieceAttempts,
    Duration parentWait,
    long uploadLimit,
    long downloadLimit,
    int maxConcurrentUploads,
    int maxUploadsPerTask,
    long uploadSocketBuffer,
    boolean fsync,
    long storeQuota,
    Duration gcInterval,
    double gcHighWatermark,
    double gcLowWatermark,
    Duration uploadIdleTimeout,
    List<Path> allowedImportDirs,
    List<Path> allowedExportDirs,
    Duration pieceTimeout,
    String idc,
    String location,
    LocalSocket localSocket,
    boolean legacyTcpLocalApi,
    String tlsDir,
    Lifetime lifetime) {

  /**
   * How long imported tasks live unless the import says (0 = for ever), how often expired
   * tasks are looked for, and how many copies of an import the network keeps unless it says.
   */
  public record Lifetime(Duration defaultTtl, Duration expiryCheckInterval,
      int defaultReplicaCount) {}


  /** The local API's unix socket: its path, mode (octal) and group ("" = the daemon's). */
  public record LocalSocket(Path path, String mode, String group) {}

  public static DaemonSettings fromConfig(Config root) {
    Config c = root.getConfig("dfcache.daemon");
    return new DaemonSettings(
        HostAddresses.orFirstNonLoopback(c.getString("host")),
        c.getString("host-id"),
        c.getInt("grpc-port"),
        c.getInt("upload-port"),
        Path.of(c.getString("data-dir")),
        schedulersOf(c),
        c.getDuration("heartbeat-interval"),
        c.getDuration("reannounce-settle"),
        c.getInt("announce-attempts"),
        c.getDuration("scheduler-call-timeout"),
        c.getInt("piece-parallelism"),
        c.getInt("requests-per-parent"),
        c.getBytes("max-inflight-bytes"),
        c.getInt("piece-attempts"),
        c.getDuration("parent-wait"),
        c.getBytes("upload-limit"),
        c.getBytes("download-limit"),
        c.getInt("max-concurrent-uploads"),
        c.getInt("max-uploads-per-task"),
        c.getBytes("upload-socket-buffer"),
        c.getBoolean("fsync"),
        c.getBytes("store-quota"),
        c.getDuration("gc.interval"),
        c.getDouble("gc.high-watermark"),
        c.getDouble("gc.low-watermark"),
        c.getDuration("upload-idle-timeout"),
        c.getStringList("allowed-import-dirs").stream().map(Path::of).toList(),
        c.getStringList("allowed-export-dirs").stream().map(Path::of).toList(),
        c.getDuration("piece-timeout"),
        c.getString("idc"),
        c.getString("location"),
        new LocalSocket(Path.of(c.getString("socket")), c.getString("socket-mode"),
            c.getString("socket-group")),
        c.getBoolean("legacy-tcp-local-api"),
        c.getString("tls-dir"),
        new Lifetime(c.getDuration("default-ttl"), c.getDuration("expiry-check-interval"),
            c.getInt("default-replica-count")));
  }

  /** A daemon on its own looks for a scheduler on this host, where the quickstart runs one. */
  static final HostPort DEFAULT_SCHEDULER = new HostPort("127.0.0.1", 8002);

  /**
   * The configured schedulers; none configured: the default one without a manager, and none
   * (not known yet) with one, which names them: a made-up address would only fail later.
   */
  static List<HostPort> schedulersOf(Config daemon) {
    List<HostPort> given = daemon.getStringList("schedulers").stream().map(HostPort::parse)
        .toList();
    boolean managed = !daemon.getString("manager").isBlank();
    return given.isEmpty() && !managed ? List.of(DEFAULT_SCHEDULER) : given;
  }

  public DaemonSettings withNetwork(String host, int grpcPort, int uploadPort, Path dataDir,
      List<HostPort> schedulers) {
    return new DaemonSettings(host, hostId, grpcPort, uploadPort, dataDir, schedulers,
        heartbeatInterval, reannounceSettle, announceAttempts, schedulerCallTimeout,
        pieceParallelism, requestsPerParent, maxInflightBytes, pieceAttempts, parentWait, uploadLimit,
        downloadLimit, maxConcurrentUploads, maxUploadsPerTask, uploadSocketBuffer, fsync,
        storeQuota, gcInterval, gcHighWatermark,
        gcLowWatermark, uploadIdleTimeout, allowedImportDirs, allowedExportDirs, pieceTimeout, idc,
        location, localSocket, legacyTcpLocalApi, tlsDir, lifetime);
  }

  /** The id this host announces under: configured, or "ip-grpcport" (stable across restarts). */
  public String effectiveHostId() {
    return hostId.isBlank() ? host + "-" + grpcPort : hostId;
  }
}
