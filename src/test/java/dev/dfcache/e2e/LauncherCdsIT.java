package dev.dfcache.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The launchers' class-data-sharing archive (cds_opts in bin/_common.sh), run through bin/dfcache
 * against a copy of the jar in a directory of the test's own: the first run records an archive
 * under a name of its own, the next one checks and takes it, a dump cut short is dropped without a
 * word, and DFCACHE_CDS=off records nothing.
 */
class LauncherCdsIT {
  private static final Path LAUNCHER = Path.of("bin", "dfcache").toAbsolutePath();

  @TempDir Path dir;

  @Test
  void recordsThenUsesTheArchiveAndDropsABrokenOne() throws Exception {
    Path jar = copyJar();
    run(jar, Map.of());
    assertEquals(1, recordings().size(), "the first run records: " + files());
    assertFalse(Files.exists(archive()));

    String out = run(jar, Map.of());
    assertTrue(Files.size(archive()) > 1_000_000, "the second run takes it: " + files());
    assertTrue(recordings().isEmpty(), files().toString());
    assertTrue(out.contains("import"), out);

    // A dump cut short (a JVM killed while writing it) by a process that is gone.
    Files.delete(archive());
    Files.write(dir.resolve("dfcache-cli.jsa.4194303.tmp"), new byte[1_000_000]);
    String quiet = run(jar, Map.of());
    assertFalse(Files.exists(dir.resolve("dfcache-cli.jsa.4194303.tmp")), files().toString());
    assertFalse(quiet.contains("Aborted") || quiet.contains("error"), quiet);
    assertEquals(1, recordings().size(), "recorded again: " + files());
    try (Stream<Path> s = Files.list(Path.of("."))) {
      assertTrue(s.noneMatch(p -> p.getFileName().toString().startsWith("hs_err")));
    }
  }

  @Test
  void offRecordsNothing() throws Exception {
    Path jar = copyJar();
    run(jar, Map.of("DFCACHE_CDS", "off"));
    run(jar, Map.of("DFCACHE_CDS", "off"));
    assertEquals(List.of("dfcache.jar"), files());
  }

  private Path copyJar() throws IOException {
    Path jar = Files.copy(LocalCluster.JAR, dir.resolve("dfcache.jar"));
    // older than anything the runs write, whatever the file system's time resolution
    Files.setLastModifiedTime(jar, FileTime.fromMillis(System.currentTimeMillis() - 60_000));
    return jar;
  }

  private Path archive() {
    return dir.resolve("dfcache-cli.jsa");
  }

  private List<String> recordings() throws IOException {
    return files().stream().filter(n -> n.matches("dfcache-cli\\.jsa\\.\\d+\\.tmp")).toList();
  }

  private List<String> files() {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** bin/dfcache --help with the jar copy; its stdout and stderr. */
  private String run(Path jar, Map<String, String> env) throws Exception {
    ProcessBuilder pb = new ProcessBuilder(LAUNCHER.toString(), "--help").redirectErrorStream(true);
    pb.environment().put("DFCACHE_JAR", jar.toString());
    pb.environment().putAll(env);
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes());
    assertTrue(p.waitFor(60, TimeUnit.SECONDS));
    assertEquals(0, p.exitValue(), out);
    return out;
  }
}
