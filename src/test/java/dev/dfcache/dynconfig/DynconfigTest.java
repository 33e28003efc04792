package dev.dfcache.dynconfig;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dfcache.common.HostPort;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DynconfigTest {
  @TempDir
  Path dir;

  @Test
  void clientConfigReadsEveryKeyAndLeavesAbsentOnesUnset() {
    ClientConfig c = ClientConfig.parse("{\"upload_rate_limit\": 1048576, "
        + "\"download_rate_limit\": 0, \"load_limit\": 8, \"gc_high_watermark\": 0.9, "
        + "\"gc_low_watermark\": 0.7, \"default_ttl_seconds\": 3600, "
        + "\"default_replica_count\": 2}");
    assertEquals(new ClientConfig(1048576, 0, 8, 0.9, 0.7, Duration.ofHours(1), 2), c);
    assertEquals(ClientConfig.UNSET, ClientConfig.parse("{}"));
    assertEquals(ClientConfig.UNSET, ClientConfig.parse(""));
  }

  @Test
  void badClientConfigsNameWhatIsWrong() {
    assertTrue(assertThrows(InvalidConfigException.class,
        () -> ClientConfig.parse("{\"download_rate_limt\": 1}")).getMessage()
        .contains("unknown key download_rate_limt"));
    assertTrue(assertThrows(InvalidConfigException.class,
        () -> ClientConfig.parse("{\"load_limit\": \"8\"}")).getMessage()
        .contains("load_limit must be a whole number"));
    assertTrue(assertThrows(InvalidConfigException.class,
        () -> ClientConfig.parse("{\"upload_rate_limit\": -1}")).getMessage()
        .contains("upload_rate_limit"));
    assertTrue(assertThrows(InvalidConfigException.class,
        () -> ClientConfig.parse("{\"gc_high_watermark\": 1.5}")).getMessage()
        .contains("gc_high_watermark"));
    assertTrue(assertThrows(InvalidConfigException.class,
        () -> ClientConfig.parse("{\"gc_high_watermark\": 0.5, \"gc_low_watermark\": 0.6}"))
        .getMessage().contains("below"));
    assertTrue(assertThrows(InvalidConfigException.class,
        () -> ClientConfig.parse("[1]")).getMessage().contains("JSON object"));
    assertTrue(assertThrows(InvalidConfigException.class,
        () -> ClientConfig.parse("{\"load_limit\": ")).getMessage().contains("not valid JSON"));
  }

  @Test
  void schedulerConfigAndScopes() {
    assertEquals(new SchedulerConfig(4, 0, 3),
        SchedulerConfig.parse("{\"candidate_parent_limit\": 4, \"bad_parent_reporters\": 3}"));
    assertThrows(InvalidConfigException.class,
        () -> SchedulerConfig.parse("{\"candidate_parent_limit\": 0}"));
    Scopes s = Scopes.parse("{\"idc\": \"east\", \"location\": \"eu\", "
        + "\"cidrs\": [\"10.1.0.0/16\", \"fd00::/8\"]}");
    assertEquals(0.3 + 0.25 + 0.14, s.score("10.1.2.3", "east", "eu|zone-a"), 1e-9);
    assertEquals(0.3, s.score("fd00::1", "west", "us"), 1e-9);
    assertEquals(0, s.score("10.2.0.1", "", ""), 1e-9);
    assertThrows(InvalidConfigException.class, () -> Scopes.parse("{\"cidrs\": [\"10.0.0.0\"]}"));
    assertThrows(InvalidConfigException.class,
        () -> Scopes.parse("{\"cidrs\": [\"evil.example.com/8\"]}"));
  }

  @Test
  void theCachedConfigurationRoundTripsAndADamagedOneIsIgnored() throws Exception {
    Path file = dir.resolve("sub/dynconfig.json");
    Dynconfig d = new Dynconfig(3, "east", 7, "{\"candidate_parent_limit\":4}",
        "{\"download_rate_limit\":100}", List.of(HostPort.parse("10.0.0.1:8002")), 1234);
    d.save(file);
    assertEquals(d, Dynconfig.load(file).orElseThrow());
    assertFalse(Files.exists(file.resolveSibling("dynconfig.json.tmp")));
    Files.writeString(file, "{\"cluster_id\": 3, \"client_config\": \"{\\\"nope\\\": 1}\"}");
    assertTrue(Dynconfig.load(file).isEmpty(), "a cache with an invalid config is not used");
    Files.writeString(file, "garbage");
    assertTrue(Dynconfig.load(file).isEmpty());
    assertTrue(Dynconfig.load(dir.resolve("missing")).isEmpty());
  }
}
