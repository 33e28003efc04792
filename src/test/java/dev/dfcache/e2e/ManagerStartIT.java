package dev.dfcache.e2e;

import static dev.dfcache.e2e.LocalCluster.freePort;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** A manager that cannot start says why, in one line, and exits 1 (2 for a usage error). */
class ManagerStartIT {
  static String run(int exit, String... args) throws Exception {
    java.util.List<String> cmd = new java.util.ArrayList<>(java.util.List.of(
        LocalCluster.javaBin(), "-Xmx256m", "-jar", LocalCluster.JAR.toString(), "manager"));
    cmd.addAll(java.util.List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    assertTrue(p.waitFor(90, TimeUnit.SECONDS));
    assertEquals(exit, p.exitValue(), out);
    return out;
  }

  @Test
  void anUnreachableDatabaseIsAClearError() throws Exception {
    // (the pool tries for 30 s: a database that is still starting is waited for)
    String out = run(1, "--port", Integer.toString(freePort()), "--grpc-port",
        Integer.toString(freePort()), "--db-url",
        "jdbc:postgresql://127.0.0.1:" + freePort() + "/dfcache");
    assertTrue(out.contains("Error: cannot open the manager's database jdbc:postgresql://"), out);
    assertTrue(out.contains("refused"), out);
    assertTrue(!out.contains("\tat "), "no stack trace: " + out);
  }

  @Test
  void aDatabaseUrlOfAnotherKindIsRefused() throws Exception {
    String out = run(2, "--db-url", "jdbc:mysql://127.0.0.1/dfcache"); // a usage error
    assertTrue(out.contains("--db-url must be jdbc:postgresql://... or jdbc:h2:..."), out);
  }
}
