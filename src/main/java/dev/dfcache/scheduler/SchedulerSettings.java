package dev.dfcache.scheduler;

import com.typesafe.config.Config;
import dev.dfcache.common.HostPort;
import java.time.Duration;
import java.util.List;

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
    Duration askTimeout) {

  public static final String SYSTEM_NAME = "dfcache-scheduler";
  public static final String ROLE = "scheduler";

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
        c.getDuration("ask-timeout"));
  }

  public SchedulerSettings withAddresses(String host, int grpcPort, int clusterPort,
      List<HostPort> seedNodes) {
    return new SchedulerSettings(host, grpcPort, clusterPort, seedNodes, shards, virtualNodes,
        hostTtl, forgetHostAfter, askTimeout);
  }

  public SchedulerSettings withHostTtl(Duration ttl) {
    return new SchedulerSettings(host, grpcPort, clusterPort, seedNodes, shards, virtualNodes,
        ttl, forgetHostAfter, askTimeout);
  }
}
