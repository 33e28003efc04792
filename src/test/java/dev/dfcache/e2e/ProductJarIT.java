package dev.dfcache.e2e;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.jar.JarFile;
import org.junit.jupiter.api.Test;

/** The jar users run (and the image ships) holds the product, not its test rig. */
class ProductJarIT {
  @Test
  void theBenchmarkHarnessIsNotInTheJar() throws Exception {
    try (JarFile jar = new JarFile(LocalCluster.JAR.toFile())) {
      List<String> bench = jar.stream().map(e -> e.getName())
          .filter(n -> n.startsWith("dev/dfcache/bench/")).toList();
      assertTrue(bench.isEmpty(), "bench classes in dfcache.jar: " + bench);
      assertTrue(jar.getEntry("dev/dfcache/Main.class") != null, "the product is in it");
    }
  }
}
