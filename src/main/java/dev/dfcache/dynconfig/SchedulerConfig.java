package dev.dfcache.dynconfig;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The schedulers' part of a scheduler cluster's configuration ({@code config}): the
 * parent-selection limits, applied live. An absent key (0) leaves the scheduler's own setting.
 *
 * @param candidateParentLimit parents given to one download at once (Dragonfly's name)
 * @param defaultUploadLimit uploads a host is assumed to serve at once when it did not say
 * @param badParentReporters distinct hosts whose reports quarantine a parent
 */
public record SchedulerConfig(int candidateParentLimit, int defaultUploadLimit,
    int badParentReporters) {

  static final String WHAT = "config";
  static final Map<String, ConfigKeys.Key> KEYS = keys();

  private static Map<String, ConfigKeys.Key> keys() {
    Map<String, ConfigKeys.Key> m = new LinkedHashMap<>();
    for (ConfigKeys.Key k : new ConfigKeys.Key[] {
        new ConfigKeys.Key("candidate_parent_limit", 1, 64, "parents"),
        new ConfigKeys.Key("default_upload_limit", 1, 10_000, "uploads"),
        new ConfigKeys.Key("bad_parent_reporters", 1, 100, "hosts")}) {
      m.put(k.name(), k);
    }
    return m;
  }

  public static final SchedulerConfig UNSET = new SchedulerConfig(0, 0, 0);

  /** Parses and checks a config object. @throws InvalidConfigException */
  public static SchedulerConfig parse(String json) {
    return of(ConfigKeys.parseObject(WHAT, json));
  }

  public static SchedulerConfig of(ObjectNode node) {
    ConfigKeys.onlyKnown(WHAT, node, KEYS);
    return new SchedulerConfig(
        (int) ConfigKeys.integer(WHAT, node, KEYS.get("candidate_parent_limit"), 0),
        (int) ConfigKeys.integer(WHAT, node, KEYS.get("default_upload_limit"), 0),
        (int) ConfigKeys.integer(WHAT, node, KEYS.get("bad_parent_reporters"), 0));
  }
}
