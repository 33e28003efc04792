package dev.dfcache.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.typesafe.config.ConfigFactory;
import dev.dfcache.common.HostPort;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Which schedulers a daemon starts with, given flags or none. */
class DaemonSettingsTest {
  static List<HostPort> schedulers(String config) {
    return DaemonSettings.schedulersOf(ConfigFactory.parseString(config));
  }

  @Test
  void onItsOwnADaemonLooksForASchedulerOnThisHost() {
    assertEquals(List.of(new HostPort("127.0.0.1", 8002)),
        schedulers("schedulers = [], manager = \"\""));
  }

  @Test
  void givenOnlyAManagerItKnowsNoSchedulerUntilTheManagerNamesOne() {
    assertEquals(List.of(), schedulers("schedulers = [], manager = \"10.0.0.2:65003\""));
  }

  @Test
  void givenSchedulersAreKeptWithOrWithoutAManager() {
    List<HostPort> given = List.of(HostPort.parse("10.0.0.5:8002"), HostPort.parse("s:8003"));
    assertEquals(given, schedulers("schedulers = [\"10.0.0.5:8002\", \"s:8003\"], manager = \"\""));
    assertEquals(given, schedulers("schedulers = [\"10.0.0.5:8002\", \"s:8003\"], "
        + "manager = \"10.0.0.2:65003\""));
  }
}
