package dev.dfcache.scheduler;

import dev.dfcache.api.manager.KeepAliveRequest;
import dev.dfcache.api.manager.MetricsSummary;
import dev.dfcache.api.manager.Scheduler;
import dev.dfcache.api.manager.SourceType;
import dev.dfcache.api.manager.UpdateSchedulerRequest;
import dev.dfcache.dynconfig.Dynconfig;
import dev.dfcache.dynconfig.InvalidConfigException;
import dev.dfcache.dynconfig.ManagedComponent;
import dev.dfcache.dynconfig.SchedulerConfig;
import dev.dfcache.metrics.SchedulerMetrics;
import dev.dfcache.rpc.ManagerRpc;
import io.grpc.Channel;
import java.time.Duration;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A scheduler node as its manager sees it: registered by its gRPC address (UpdateScheduler),
 * kept alive with the tasks and peers it holds, and applying its cluster's config (the
 * parent-selection limits) to {@link SchedulerTunables}.
 */
final class ManagedScheduler implements ManagedComponent {
  private static final Logger log = LoggerFactory.getLogger(ManagedScheduler.class);

  private final String ip;
  private final int port;
  private final String hostName;
  private final String cluster;
  private final SchedulerTunables tunables;
  private final SchedulerMetrics metrics;

  ManagedScheduler(String ip, int port, String hostName, String cluster,
      SchedulerTunables tunables, SchedulerMetrics metrics) {
    this.ip = ip;
    this.port = port;
    this.hostName = hostName;
    this.cluster = cluster;
    this.tunables = tunables;
    this.metrics = metrics;
  }

  @Override
  public String describe() {
    return "scheduler " + ip + ":" + port;
  }

  @Override
  public Dynconfig register(Channel manager, Duration deadline) {
    Scheduler s = ManagerRpc.UPDATE_SCHEDULER.call(manager, UpdateSchedulerRequest.newBuilder()
        .setSourceType(SourceType.SCHEDULER_SOURCE).setHostName(hostName).setIp(ip)
        .setPort(port).setClusterName(cluster).build(), deadline);
    return Dynconfig.of(s.getSchedulerCluster(), List.of());
  }

  @Override
  public KeepAliveRequest keepAlive() {
    return KeepAliveRequest.newBuilder().setSourceType(SourceType.SCHEDULER_SOURCE)
        .setHostName(hostName).setIp(ip).setPort(port)
        .setSummary(MetricsSummary.newBuilder().setTasks((long) metrics.tasks.get())
            .setPeers((long) metrics.taskPeers.get()))
        .build();
  }

  @Override
  public void apply(Dynconfig config) {
    try {
      tunables.apply(SchedulerConfig.parse(config.config()));
      log.info("cluster {} config version {}: parent selection {}", config.clusterName(),
          config.configVersion(), tunables.selection());
    } catch (InvalidConfigException bad) {
      log.warn("cluster {}: config version {} not applied: {}", config.clusterName(),
          config.configVersion(), bad.getMessage());
    }
  }
}
