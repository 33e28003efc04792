package dev.dfcache.dynconfig;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dfcache.common.HostPort;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A component's configuration from the manager: its cluster, the configuration version, the
 * scheduler and client configuration (JSON), and for a peer the active schedulers. Kept on disk
 * as the last good one (written to a temporary file, synced, renamed), so a component whose
 * manager is down at start starts from it.
 */
public record Dynconfig(long clusterId, String clusterName, long configVersion, String config,
    String clientConfig, List<HostPort> schedulers, long fetchedAtMillis) {

  /** What a component takes from its cluster as the manager sends it, fetched now. */
  public static Dynconfig of(dev.dfcache.api.manager.SchedulerCluster c, List<HostPort> schedulers) {
    return new Dynconfig(c.getId(), c.getName(), c.getConfigVersion(),
        c.getConfig().toString(java.nio.charset.StandardCharsets.UTF_8),
        c.getClientConfig().toString(java.nio.charset.StandardCharsets.UTF_8),
        List.copyOf(schedulers), System.currentTimeMillis());
  }

  /** The same configuration, as fetched at another time (to compare contents). */
  public Dynconfig withFetchedAt(long at) {
    return new Dynconfig(clusterId, clusterName, configVersion, config, clientConfig, schedulers,
        at);
  }

  public void save(Path file) throws IOException {
    ObjectNode o = ConfigKeys.JSON.createObjectNode();
    o.put("cluster_id", clusterId);
    o.put("cluster_name", clusterName);
    o.put("config_version", configVersion);
    o.put("config", config);
    o.put("client_config", clientConfig);
    o.put("fetched_at", fetchedAtMillis);
    schedulers.forEach(h -> o.withArray("schedulers").add(h.toString()));
    Files.createDirectories(file.toAbsolutePath().getParent());
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    Files.write(tmp, ConfigKeys.JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(o));
    try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
      ch.force(true);
    }
    Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }

  /** The cached configuration, if there is one that parses (a damaged file is ignored). */
  public static Optional<Dynconfig> load(Path file) {
    if (!Files.isRegularFile(file)) {
      return Optional.empty();
    }
    try {
      JsonNode o = ConfigKeys.JSON.readTree(file.toFile());
      List<HostPort> schedulers = new ArrayList<>();
      for (JsonNode s : o.path("schedulers")) {
        schedulers.add(HostPort.parse(s.asText()));
      }
      Dynconfig d = new Dynconfig(o.path("cluster_id").asLong(), o.path("cluster_name").asText(),
          o.path("config_version").asLong(), o.path("config").asText("{}"),
          o.path("client_config").asText("{}"), List.copyOf(schedulers),
          o.path("fetched_at").asLong());
      SchedulerConfig.parse(d.config());
      ClientConfig.parse(d.clientConfig());
      return Optional.of(d);
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
  }
}
