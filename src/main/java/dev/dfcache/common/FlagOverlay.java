package dev.dfcache.common;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.util.HashMap;
import java.util.Map;

/**
 * Command-line flags as a config layer over application.conf, so a flag and its config key are
 * one setting with one precedence: flag, then -D system property, then the config files.
 */
public final class FlagOverlay {
  private final String path;
  private final Map<String, Object> values = new HashMap<>();

  /** @param path the config section the flags belong to, e.g. "dfcache.daemon" */
  public FlagOverlay(String path) {
    this.path = path;
  }

  /** Sets {@code key} (relative to the section) when the flag was given (value not null). */
  public FlagOverlay putIfSet(String key, Object value) {
    if (value != null) {
      values.put(key, value);
    }
    return this;
  }

  /** The flags over everything ConfigFactory.load() reads. */
  public Config over(Config loaded) {
    return ConfigFactory.parseMap(values, "command line").atPath(path).withFallback(loaded);
  }
}
