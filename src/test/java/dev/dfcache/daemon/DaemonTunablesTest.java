package dev.dfcache.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.typesafe.config.ConfigFactory;
import dev.dfcache.dynconfig.ClientConfig;
import dev.dfcache.scheduler.SchedulerSettings;
import dev.dfcache.scheduler.SchedulerTunables;
import dev.dfcache.dynconfig.SchedulerConfig;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** What the manager's configuration changes, and that removing a key restores the own value. */
class DaemonTunablesTest {
  @Test
  void aClientConfigOverridesTheDaemonsOwnSettingsUntilItsKeysGo() {
    DaemonSettings own = DaemonSettings.fromConfig(ConfigFactory.load());
    DaemonTunables t = new DaemonTunables(own);
    t.apply(ClientConfig.parse("{\"upload_rate_limit\": 1048576, \"download_rate_limit\": "
        + "2097152, \"gc_high_watermark\": 0.9, \"gc_low_watermark\": 0.5, "
        + "\"default_ttl_seconds\": 60, \"default_replica_count\": 3}"));
    assertEquals(1048576, t.uploadLimit().rate());
    assertEquals(2097152, t.downloadLimit().rate());
    assertEquals(0.9, t.gcHighWatermark());
    assertEquals(0.5, t.gcLowWatermark());
    assertEquals(Duration.ofMinutes(1), t.defaultTtl());
    assertEquals(3, t.defaultReplicaCount());
    t.apply(ClientConfig.UNSET);
    assertEquals(own.uploadLimit(), t.uploadLimit().rate());
    assertEquals(own.downloadLimit(), t.downloadLimit().rate());
    assertEquals(own.gcHighWatermark(), t.gcHighWatermark());
    assertEquals(own.lifetime().defaultTtl(), t.defaultTtl());
    assertEquals(own.lifetime().defaultReplicaCount(), t.defaultReplicaCount());
    // a low watermark above the daemon's own high one is pulled below it
    t.apply(ClientConfig.parse("{\"gc_low_watermark\": 0.99}"));
    assertEquals(own.gcHighWatermark() * 0.75, t.gcLowWatermark(), 1e-9);
  }

  @Test
  void theSchedulersParentSelectionFollowsItsConfig() {
    SchedulerSettings.ParentSelection own = new SchedulerSettings.ParentSelection(8, 50, 2);
    SchedulerTunables t = new SchedulerTunables(own);
    t.apply(SchedulerConfig.parse("{\"candidate_parent_limit\": 3}"));
    assertEquals(new SchedulerSettings.ParentSelection(3, 50, 2), t.selection());
    t.apply(SchedulerConfig.UNSET);
    assertEquals(own, t.selection());
  }
}
