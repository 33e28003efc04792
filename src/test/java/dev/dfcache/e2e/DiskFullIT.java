package dev.dfcache.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dfcache.api.dfdaemon.ExportTaskRequest;
import dev.dfcache.api.dfdaemon.ImportTaskRequest;
import dev.dfcache.api.dfdaemon.StatTaskRequest;
import dev.dfcache.common.TaskIds;
import dev.dfcache.e2e.LocalCluster.Proc;
import dev.dfcache.rpc.Channels;
import dev.dfcache.rpc.DaemonRpc;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A store quota and a really full filesystem: ResourceLacked, eviction, nothing partial. */
class DiskFullIT {
  static final int MIB = 1 << 20;
  static final Duration CALL = Duration.ofSeconds(60);
  Path work;
  LocalCluster cluster;
  final Channels channels = new Channels();
  Path mounted;

  @BeforeEach
  void setUp() throws Exception {
    work = Files.createTempDirectory("dfcache-full");
    cluster = new LocalCluster(work);
  }

  @AfterEach
  void tearDown() throws Exception {
    channels.close();
    cluster.close();
    if (mounted != null) {
      new ProcessBuilder("umount", mounted.toString()).inheritIO().start().waitFor();
    }
    LocalCluster.deleteTree(work);
  }

  ManagedChannel ch(Proc p) {
    return channels.local(p.socket);
  }

  Path randomFile(String name, int size) throws Exception {
    byte[] data = new byte[size];
    new Random(name.hashCode()).nextBytes(data);
    return Files.write(work.resolve(name), data);
  }

  void importOn(Proc p, String cid, Path file) {
    DaemonRpc.IMPORT_TASK.call(ch(p), ImportTaskRequest.newBuilder()
        .setUrl(TaskIds.urlForCid(cid)).setPath(file.toString()).build(), CALL);
  }

  boolean stat(Proc p, String cid, boolean local) {
    try {
      DaemonRpc.STAT_TASK.call(ch(p), StatTaskRequest.newBuilder().setUrl(TaskIds.urlForCid(cid))
          .setLocalOnly(local).build(), CALL);
      return true;
    } catch (StatusRuntimeException e) {
      return false;
    }
  }

  static String code(StatusRuntimeException e) {
    String d = e.getStatus().getDescription();
    return d.substring(0, d.indexOf(']') + 1);
  }

  static long files(Path dir) throws Exception {
    try (Stream<Path> s = Files.walk(dir)) {
      return s.filter(Files::isRegularFile).count();
    }
  }

  @Test
  void aFullQuotaEvictsTheLeastRecentlyUsedLeavesItAtTheSchedulerAndRefusesWhatCannotFit()
      throws Exception {
    Proc scheduler = cluster.scheduler("scheduler");
    Proc b = cluster.daemon("b", scheduler.grpc());
    cluster.setJvmOptions("-Ddfcache.daemon.store-quota=12m");
    Proc a = cluster.daemon("a", scheduler.grpc());
    importOn(a, "one", randomFile("one", 5 * MIB));
    importOn(a, "two", randomFile("two", 5 * MIB));
    assertTrue(stat(b, "one", false));
    importOn(a, "three", randomFile("three", 5 * MIB));
    assertFalse(stat(a, "one", true), "the least recently used task was evicted");
    assertTrue(stat(a, "two", true) && stat(a, "three", true));
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (stat(b, "one", false)) {
      assertTrue(System.nanoTime() < deadline, "the evicted task was not left at the scheduler");
      Thread.sleep(200);
    }
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
        () -> importOn(a, "huge", randomFile("huge", 13 * MIB)));
    assertEquals("[1000]", code(e), e.getStatus().getDescription());
    assertFalse(stat(a, "huge", true));
    assertEquals(0, files(a.dataDir.resolve("tmp")), "nothing partial left");
    assertTrue(stat(a, "two", true) && stat(a, "three", true), "nothing lost");
  }

  @Test
  void aReallyFullFilesystemIsResourceLackedForImportsAndDownloads() throws Exception {
    Path mountPoint = Files.createDirectories(work.resolve("small-disk"));
    Process mount = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=10m", "tmpfs",
        mountPoint.toString()).redirectErrorStream(true).start();
    Assumptions.assumeTrue(mount.waitFor() == 0, "cannot mount a small tmpfs here (needs root)");
    mounted = mountPoint;
    Proc scheduler = cluster.scheduler("scheduler");
    Proc a = cluster.daemon("a", scheduler.grpc());
    Proc small = cluster.daemon("small", scheduler.grpc(), mountPoint.resolve("data"),
        LocalCluster.freePort(), LocalCluster.freePort());
    importOn(small, "fits", randomFile("fits", 6 * MIB));
    StatusRuntimeException imp = assertThrows(StatusRuntimeException.class,
        () -> importOn(small, "overflow", randomFile("overflow", 6 * MIB)));
    assertEquals("[1000]", code(imp), imp.getStatus().getDescription());
    assertEquals(0, files(mountPoint.resolve("data/tmp")), "no partial import left");

    importOn(a, "remote", randomFile("remote", 6 * MIB));
    Path out = work.resolve("remote.out");
    StatusRuntimeException exp = assertThrows(StatusRuntimeException.class,
        () -> DaemonRpc.EXPORT_TASK.call(ch(small), ExportTaskRequest.newBuilder()
            .setUrl(TaskIds.urlForCid("remote")).setOutput(out.toString()).build(), CALL));
    assertEquals("[1000]", code(exp), exp.getStatus().getDescription());
    assertFalse(Files.exists(out));
    assertEquals(0, files(mountPoint.resolve("data/tmp")), "no partial download left");
    assertTrue(stat(small, "fits", true), "what was stored is still there");
    Path check = work.resolve("fits.out");
    DaemonRpc.EXPORT_TASK.call(ch(small), ExportTaskRequest.newBuilder()
        .setUrl(TaskIds.urlForCid("fits")).setOutput(check.toString()).build(), CALL);
    assertEquals(EndToEndIT.sha256(work.resolve("fits")), EndToEndIT.sha256(check));
  }
}
