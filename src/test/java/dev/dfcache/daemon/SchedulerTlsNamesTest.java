package dev.dfcache.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.dfcache.common.HostPort;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The name a scheduler's certificate must carry, whatever address the daemon dials. */
class SchedulerTlsNamesTest {
  static final HostPort POD = new HostPort("10.1.2.3", 8002);

  @Test
  void aConfiguredNameIsCheckedForEveryAddress() {
    SchedulerTlsNames names = new SchedulerTlsNames("scheduler.example",
        List.of(HostPort.parse("dfcache-scheduler:8002")));
    assertEquals("scheduler.example", names.apply(POD));
    assertEquals("scheduler.example", names.apply(HostPort.parse("dfcache-scheduler:8002")));
  }

  @Test
  void addressesFromTheManagerAreCheckedForTheServiceNameGiven() {
    SchedulerTlsNames names = new SchedulerTlsNames("",
        List.of(HostPort.parse("dfcache-scheduler:8002")));
    assertEquals("dfcache-scheduler", names.apply(POD));
    assertEquals("dfcache-scheduler", names.apply(HostPort.parse("dfcache-scheduler:8002")));
  }

  @Test
  void schedulersGivenByTheirOwnNamesAreCheckedForThem() {
    SchedulerTlsNames names = new SchedulerTlsNames("",
        List.of(HostPort.parse("sched-a:8002"), HostPort.parse("sched-b:8002")));
    assertEquals("sched-b", names.apply(HostPort.parse("sched-b:8002")));
    assertEquals("sched-a", names.apply(POD));
  }

  @Test
  void schedulersGivenByAddressAreCheckedForTheAddressDialled() {
    SchedulerTlsNames names = new SchedulerTlsNames("",
        List.of(HostPort.parse("10.0.0.5:8002"), HostPort.parse("[::1]:8002")));
    assertEquals("10.1.2.3", names.apply(POD));
    assertEquals("10.0.0.5", names.apply(HostPort.parse("10.0.0.5:8002")));
  }
}
