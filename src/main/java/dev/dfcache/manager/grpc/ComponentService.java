package dev.dfcache.manager.grpc;

import static dev.dfcache.common.GrpcErrors.guard;

import com.google.protobuf.ByteString;
import dev.dfcache.api.manager.GetSchedulerRequest;
import dev.dfcache.api.manager.KeepAliveRequest;
import dev.dfcache.api.manager.KeepAliveResponse;
import dev.dfcache.api.manager.ListSchedulersRequest;
import dev.dfcache.api.manager.ListSchedulersResponse;
import dev.dfcache.api.manager.ManagerPowerApi;
import dev.dfcache.api.manager.MetricsSummary;
import dev.dfcache.api.manager.Scheduler;
import dev.dfcache.api.manager.SchedulerCluster;
import dev.dfcache.api.manager.SourceType;
import dev.dfcache.api.manager.UpdateSchedulerRequest;
import dev.dfcache.common.DfException;
import dev.dfcache.manager.db.ClusterRepository;
import dev.dfcache.manager.db.ClusterRow;
import dev.dfcache.manager.db.ComponentRepository;
import dev.dfcache.manager.db.ComponentRow;
import dev.dfcache.manager.db.Database;
import dev.dfcache.manager.db.MetricRepository;
import dev.dfcache.tls.CertificateRoles.Role;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.pekko.grpc.javadsl.Metadata;

/**
 * The manager's gRPC API for schedulers and peers: registration, the cluster configuration, and
 * the lease every keep-alive renews. Every call is a query on the database (several managers
 * may serve one database); what a component sends is checked before it is stored, and who sends
 * it too: with TLS a component registers and keeps alive only as itself ({@link
 * RegistrationRule}: a scheduler's certificate has the scheduler role and names the address it
 * registers, a daemon's the dfdaemon role and its address).
 */
public final class ComponentService implements ManagerPowerApi, AutoCloseable {
  private final Database db;
  private final ComponentIdentity identities;
  private final RegistrationRule rule = new RegistrationRule();
  private final long leaseMillis;
  private final long sampleEveryMillis;
  /** When each component's last metrics sample was stored (this manager's own pacing). */
  private final Map<String, Long> lastSample = new ConcurrentHashMap<>();

  public ComponentService(Database db, Duration lease, Duration sampleEvery,
      ComponentIdentity identities) {
    this.db = db;
    this.identities = identities;
    this.leaseMillis = lease.toMillis();
    this.sampleEveryMillis = sampleEvery.toMillis();
  }

  @Override
  public CompletionStage<Scheduler> updateScheduler(UpdateSchedulerRequest in,
      Metadata metadata) {
    return guard(() -> {
      ComponentRepository.Host host = new ComponentRepository.Host("",
          checkedText("host_name", in.getHostName(), 256), checkedIp(in.getIp()),
          checkedPort(in.getPort()), 0, checkedText("idc", in.getIdc(), 128),
          checkedText("location", in.getLocation(), 256),
          checkedText("version", in.getVersion(), 64));
      String clusterName = checkedText("cluster_name", in.getClusterName(), 128);
      return rule.check(identities.of(metadata), Role.SCHEDULER, host.ip(), host.port())
          .thenCompose(allowed -> db.transaction(c -> {
            ClusterRow cluster = clusterFor(c, clusterName, host);
            ComponentRow row = ComponentRepository.upsertScheduler(c, host, cluster.id(),
                leaseMillis);
            return scheduler(row, cluster);
          }));
    });
  }

  @Override
  public CompletionStage<Scheduler> getScheduler(GetSchedulerRequest in, Metadata metadata) {
    return guard(() -> {
      String ip = checkedIp(in.getIp());
      int port = checkedPort(in.getPort());
      return db.query(c -> {
        ComponentRow row = ComponentRepository.scheduler(c, ip, port).orElseThrow(() ->
            DfException.notFound("scheduler " + ip + ":" + port + " is not registered"));
        return scheduler(row, ClusterRepository.get(c, row.clusterId()).orElseThrow());
      });
    });
  }

  @Override
  public CompletionStage<ListSchedulersResponse> listSchedulers(ListSchedulersRequest in,
      Metadata metadata) {
    return guard(() -> {
      ComponentRepository.Host host = new ComponentRepository.Host(
          checkedId(in.getHostId()), checkedText("host_name", in.getHostName(), 256),
          checkedIp(in.getIp()), checkedPort(in.getRpcPort()), checkedPort(in.getUploadPort()),
          checkedText("idc", in.getIdc(), 128), checkedText("location", in.getLocation(), 256),
          checkedText("version", in.getVersion(), 64));
      String clusterName = checkedText("cluster_name", in.getClusterName(), 128);
      long capacity = Math.max(0, in.getCacheCapacity());
      // registering the peer is what this call does first: only a daemon, as itself
      return rule.check(identities.of(metadata), Role.DFDAEMON, host.ip(), 0)
          .thenCompose(allowed -> db.transaction(c -> {
        ClusterRow cluster = clusterFor(c, clusterName, host);
        ComponentRepository.upsertPeer(c, host, cluster.id(), leaseMillis, capacity, 0);
        ListSchedulersResponse.Builder out = ListSchedulersResponse.newBuilder()
            .setSchedulerCluster(cluster(cluster));
        long now = System.currentTimeMillis();
        for (ComponentRow s : ComponentRepository.schedulers(c, cluster.id())) {
          if (s.active(now)) {
            out.addSchedulers(scheduler(s, null));
          }
        }
        return out.build();
      }));
    });
  }

  @Override
  public CompletionStage<KeepAliveResponse> keepAlive(KeepAliveRequest in, Metadata metadata) {
    return guard(() -> {
      boolean peer = in.getSourceType() == SourceType.PEER_SOURCE;
      String hostId = peer ? checkedId(in.getHostId()) : "";
      String ip = peer ? "" : checkedIp(in.getIp());
      int port = peer ? 0 : checkedPort(in.getPort());
      MetricsSummary m = in.getSummary();
      long runs = Math.max(0, in.getConfigVersion());
      // a scheduler's lease is renewed only by that scheduler (else a dead one could be kept
      // listed); a peer's by a daemon certificate (its row was registered under the same rule)
      CompletionStage<Void> allowed = peer
          ? rule.check(identities.of(metadata), Role.DFDAEMON, null, 0)
          : rule.check(identities.of(metadata), Role.SCHEDULER, ip, port);
      return allowed.thenCompose(ok -> db.transaction(c -> {
        Optional<ComponentRow> row = peer
            ? ComponentRepository.renewPeer(c, hostId, leaseMillis,
                Math.max(0, m.getCacheUsed()), runs)
            : ComponentRepository.renewScheduler(c, ip, port, leaseMillis, runs);
        if (row.isEmpty()) {
          return KeepAliveResponse.newBuilder().setKnown(false).build();
        }
        ComponentRow r = row.get();
        storeSampleIfDue(c, r, m);
        long version = ClusterRepository.get(c, r.clusterId()).map(ClusterRow::configVersion)
            .orElse(0L);
        return KeepAliveResponse.newBuilder().setKnown(true).setConfigVersion(version).build();
      }));
    });
  }

  @Override
  public void close() {
    rule.close();
  }

  private void storeSampleIfDue(java.sql.Connection c, ComponentRow r, MetricsSummary m)
      throws java.sql.SQLException {
    long now = System.currentTimeMillis();
    String key = r.kind() + "/" + r.id();
    Long last = lastSample.get(key);
    if (last != null && now - last < sampleEveryMillis) {
      return;
    }
    lastSample.put(key, now);
    MetricRepository.add(c, new MetricRepository.Sample(now, r.kind(), r.id(), r.clusterId(),
        Math.max(0, m.getTasks()), Math.max(0, m.getPeers()), Math.max(0, m.getBytesUploaded()),
        Math.max(0, m.getBytesDownloaded()), Math.max(0, m.getPiecesFailed()),
        Math.max(0, m.getCacheUsed()), Math.max(0, m.getStatCount()),
        Math.max(0, m.getStatMicros()), Math.max(0, m.getExportCount()),
        Math.max(0, m.getExportMicros()), m.hasCacheFree() ? Math.max(0, m.getCacheFree()) : -1));
  }

  private static ClusterRow clusterFor(java.sql.Connection c, String name,
      ComponentRepository.Host host) throws java.sql.SQLException {
    try {
      return ClusterRepository.clusterFor(c, name, host.ip(), host.idc(), host.location());
    } catch (ClusterRepository.UnknownClusterException e) {
      throw DfException.notFound(e.getMessage());
    }
  }

  static Scheduler scheduler(ComponentRow row, ClusterRow cluster) {
    Scheduler.Builder b = Scheduler.newBuilder().setId(row.id()).setHostName(row.hostName())
        .setIdc(row.idc()).setLocation(row.location()).setIp(row.ip()).setPort(row.port())
        .setState(row.state(System.currentTimeMillis())).setSchedulerClusterId(row.clusterId());
    if (cluster != null) {
      b.setSchedulerCluster(cluster(cluster));
    }
    return b.build();
  }

  static SchedulerCluster cluster(ClusterRow c) {
    return SchedulerCluster.newBuilder().setId(c.id()).setName(c.name()).setBio(c.bio())
        .setConfig(ByteString.copyFrom(c.config(), StandardCharsets.UTF_8))
        .setClientConfig(ByteString.copyFrom(c.clientConfig(), StandardCharsets.UTF_8))
        .setScopes(ByteString.copyFrom(c.scopes(), StandardCharsets.UTF_8))
        .setConfigVersion(c.configVersion())
        .build();
  }

  private static String checkedText(String field, String value, int max) {
    if (value.length() > max || value.chars().anyMatch(ch -> ch < 0x20)) {
      throw DfException.badRequest(field + " must be at most " + max
          + " printable characters");
    }
    return value;
  }

  private static String checkedId(String hostId) {
    if (hostId.isBlank()) {
      throw DfException.badRequest("host_id must not be empty");
    }
    return checkedText("host_id", hostId, 256);
  }

  private static String checkedIp(String ip) {
    if (ip.isBlank() || !ip.matches("[0-9A-Fa-f:.]{2,45}")) {
      throw DfException.badRequest("ip must be an IPv4 or IPv6 address, got '"
          + checkedText("ip", ip, 64) + "'");
    }
    return ip;
  }

  private static int checkedPort(int port) {
    if (port < 1 || port > 65535) {
      throw DfException.badRequest("port must be within 1..65535, got " + port);
    }
    return port;
  }
}
