package dev.dfcache.scheduler;

import com.typesafe.config.Config;
import dev.dfcache.common.HostPort;
import java.time.Duration;
import java.util.List;
import java.util.Locale;

/** A scheduler node's settings: {@code dfcache.scheduler} in application.conf, then flags. */
public record SchedulerSettings(
    String host,
    int grpcPort,
    int clusterPort,
    List<HostPort> seedNodes,
    int shards,
    int virtualNodes,
    Duration hostTtl,
    Duration forgetHostAfter,
    Duration askTimeout,
    Bootstrap bootstrap,
    int managementPort,
    ParentSelection parentSelection,
    String tlsDir,
    IdentityRule peerIdentity,
    Duration deletionMemory) {

  /**
   * How many parents a download is given at once, the upload concurrency assumed for a host
   * that has not reported its own (Dragonfly's default is 50), and how many different hosts must
   * report a parent bad before no one is offered it.
   */
  public record ParentSelection(int parentLimit, int defaultUploadLimit, int badParentReporters)
      implements dev.dfcache.cluster.CborSerializable {}

  /** With TLS, whom a daemon's certificate lets it act for ({@link PeerIdentity}). */
  public enum IdentityRule {
    /** Peers at the IP addresses the certificate names (the default). */
    ADDRESS,
    /**
     * Peers at the address the caller's connection comes from, whatever certificate of the CA
     * it holds: for one certificate shared by every daemon where addresses are not translated
     * between daemons and schedulers (pod to pod in Kubernetes).
     */
    SOURCE,
    /** Any peer: every daemon holds the same certificate and sources are translated (NAT). */
    ANY;

    public static IdentityRule parse(String s) {
      try {
        return valueOf(s.trim().toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("peer-identity must be 'address', 'source' or 'any', "
            + "got '" + s + "'");
      }
    }
  }

  public static final String SYSTEM_NAME = "dfcache-scheduler";
  public static final String ROLE = "scheduler";
  /** pekko-management's default port, used in kubernetes mode when none is configured. */
  public static final int DEFAULT_MANAGEMENT_PORT = 7626;

  /** How a node finds the rest of the fleet. */
  public enum Bootstrap {
    /** Join {@code seed-nodes}; none = form a cluster of this node alone. Outside Kubernetes. */
    CONFIG,
    /** pekko-management cluster bootstrap, contact points from the Kubernetes API (pods). */
    KUBERNETES;

    public static Bootstrap parse(String s) {
      try {
        return valueOf(s.trim().toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("bootstrap must be 'config' or 'kubernetes', got '"
            + s + "'");
      }
    }
  }

  public static SchedulerSettings fromConfig(Config root) {
    Config c = root.getConfig("dfcache.scheduler");
    return new SchedulerSettings(
        c.getString("host"),
        c.getInt("grpc-port"),
        c.getInt("cluster-port"),
        c.getStringList("seed-nodes").stream().map(HostPort::parse).toList(),
        c.getInt("shards"),
        c.getInt("virtual-nodes"),
        c.getDuration("host-ttl"),
        c.getDuration("forget-host-after"),
        c.getDuration("ask-timeout"),
        c.hasPath("bootstrap") ? Bootstrap.parse(c.getString("bootstrap")) : Bootstrap.CONFIG,
        c.hasPath("management-port") ? c.getInt("management-port") : 0,
        new ParentSelection(c.getInt("parent-limit"), c.getInt("default-upload-limit"),
            c.getInt("bad-parent-reporters")),
        c.getString("tls-dir"),
        IdentityRule.parse(c.getString("peer-identity")),
        c.getDuration("deletion-memory"));
  }

  public SchedulerSettings withAddresses(String host, int grpcPort, int clusterPort,
      List<HostPort> seedNodes) {
    return new SchedulerSettings(host, grpcPort, clusterPort, seedNodes, shards, virtualNodes,
        hostTtl, forgetHostAfter, askTimeout, bootstrap, managementPort, parentSelection, tlsDir,
        peerIdentity, deletionMemory);
  }

  public SchedulerSettings withHostTtl(Duration ttl) {
    return new SchedulerSettings(host, grpcPort, clusterPort, seedNodes, shards, virtualNodes,
        ttl, forgetHostAfter, askTimeout, bootstrap, managementPort, parentSelection, tlsDir,
        peerIdentity, deletionMemory);
  }

  /** @param managementPort 0 = no management HTTP (config mode) or 7626 (kubernetes mode) */
  public SchedulerSettings withBootstrap(Bootstrap bootstrap, int managementPort) {
    return new SchedulerSettings(host, grpcPort, clusterPort, seedNodes, shards, virtualNodes,
        hostTtl, forgetHostAfter, askTimeout, bootstrap, managementPort, parentSelection, tlsDir,
        peerIdentity, deletionMemory);
  }

  public SchedulerSettings withTlsDir(String dir) {
    return new SchedulerSettings(host, grpcPort, clusterPort, seedNodes, shards, virtualNodes,
        hostTtl, forgetHostAfter, askTimeout, bootstrap, managementPort, parentSelection, dir, peerIdentity,
        deletionMemory);
  }

  /**
   * Mutual TLS, from {@code ca.crt, tls.crt, tls.key} in {@link #tlsDir}: between the scheduler
   * nodes (Artery) and on the gRPC port (daemons).
   */
  public boolean tls() {
    return !tlsDir.isBlank();
  }

  /** Whom a caller may act for: {@link IdentityRule#ANY} without TLS. */
  public IdentityRule effectivePeerIdentity() {
    return tls() ? peerIdentity : IdentityRule.ANY;
  }

  /** The management HTTP port this node serves, or 0 when it serves none. */
  public int effectiveManagementPort() {
    if (managementPort > 0) {
      return managementPort;
    }
    return bootstrap == Bootstrap.KUBERNETES ? DEFAULT_MANAGEMENT_PORT : 0;
  }
}
