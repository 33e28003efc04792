package dev.dfcache.sim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class SwarmSimulationTest {
  @Test
  void oneDownloaderTakesTheTaskAtTheSeedsUploadRate() {
    var r = new SwarmSimulation(SwarmModel.defaults(1, 16)).run();
    double t = r.completionOverSb()[0];
    assertTrue(t >= 1.0 && t < 1.01, "one downloader: S/B plus latency, got " + t);
    assertEquals(1.0, r.seedBytesOverS(), 1e-6, "the seed sends each piece once");
  }

  @Test
  void everyDownloaderCompletesAndNoneBeforeTheBound() {
    var r = new SwarmSimulation(SwarmModel.defaults(20, 32)).run();
    for (double t : r.completionOverSb()) {
      assertTrue(Double.isFinite(t), "a downloader never completed: " + r);
      assertTrue(t >= 1.0, "no host receives S faster than B: " + t);
    }
    assertTrue(r.seedBytesOverS() >= 1.0, "the seed sent every piece at least once: " + r);
  }

  @Test
  void aModelAndItsSeedGiveOneResult() {
    var a = new SwarmSimulation(SwarmModel.defaults(12, 16).withSeed(7)).run();
    var b = new SwarmSimulation(SwarmModel.defaults(12, 16).withSeed(7)).run();
    assertArrayEquals(a.completionOverSb(), b.completionOverSb());
    assertEquals(a.seedBytesOverS(), b.seedBytesOverS());
  }
}
