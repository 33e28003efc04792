package dev.dfcache.dynconfig;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The peers' part of a scheduler cluster's configuration ({@code client_config}), as the manager
 * stores it and daemons apply it live. Every key is optional: an absent key leaves the daemon's
 * own setting (its flags and config file) in force.
 *
 * @param uploadRateLimit bytes per second for all uploads of a daemon (0 = unlimited; -1 = unset)
 * @param downloadRateLimit bytes per second for all its downloads (0 = unlimited; -1 = unset)
 * @param loadLimit piece uploads served at once (Dragonfly's name; 0 = unset)
 * @param gcHighWatermark cache use (of quota or disk) that starts eviction (0 = unset)
 * @param gcLowWatermark where eviction stops (0 = unset)
 * @param defaultTtl TTL of imports that name none (null = unset; zero = no TTL)
 * @param defaultReplicaCount copies kept of imports that name none (0 = unset)
 */
public record ClientConfig(long uploadRateLimit, long downloadRateLimit, int loadLimit,
    double gcHighWatermark, double gcLowWatermark, Duration defaultTtl, int defaultReplicaCount) {

  static final String WHAT = "client_config";
  static final Map<String, ConfigKeys.Key> KEYS = keys();

  private static Map<String, ConfigKeys.Key> keys() {
    Map<String, ConfigKeys.Key> m = new LinkedHashMap<>();
    for (ConfigKeys.Key k : new ConfigKeys.Key[] {
        new ConfigKeys.Key("upload_rate_limit", 0, 1L << 40, "bytes per second"),
        new ConfigKeys.Key("download_rate_limit", 0, 1L << 40, "bytes per second"),
        new ConfigKeys.Key("load_limit", 1, 10_000, "uploads"),
        new ConfigKeys.Key("gc_high_watermark", 0, 1, "fraction"),
        new ConfigKeys.Key("gc_low_watermark", 0, 1, "fraction"),
        new ConfigKeys.Key("default_ttl_seconds", 0, 365L * 86_400, "seconds"),
        new ConfigKeys.Key("default_replica_count", 1, 64, "copies")}) {
      m.put(k.name(), k);
    }
    return m;
  }

  public static final ClientConfig UNSET = new ClientConfig(-1, -1, 0, 0, 0, null, 0);

  /** Parses and checks a client_config object. @throws InvalidConfigException */
  public static ClientConfig parse(String json) {
    return of(ConfigKeys.parseObject(WHAT, json));
  }

  public static ClientConfig of(ObjectNode node) {
    ConfigKeys.onlyKnown(WHAT, node, KEYS);
    double high = ConfigKeys.fraction(WHAT, node, "gc_high_watermark", 0);
    double low = ConfigKeys.fraction(WHAT, node, "gc_low_watermark", 0);
    if (high > 0 && low > 0 && low >= high) {
      throw new InvalidConfigException(WHAT + ".gc_low_watermark must be below gc_high_watermark");
    }
    long ttl = ConfigKeys.integer(WHAT, node, KEYS.get("default_ttl_seconds"), -1);
    return new ClientConfig(
        ConfigKeys.integer(WHAT, node, KEYS.get("upload_rate_limit"), -1),
        ConfigKeys.integer(WHAT, node, KEYS.get("download_rate_limit"), -1),
        (int) ConfigKeys.integer(WHAT, node, KEYS.get("load_limit"), 0),
        high, low, ttl < 0 ? null : Duration.ofSeconds(ttl),
        (int) ConfigKeys.integer(WHAT, node, KEYS.get("default_replica_count"), 0));
  }
}
