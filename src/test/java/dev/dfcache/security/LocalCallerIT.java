package dev.dfcache.security;

import static dev.dfcache.e2e.LocalCluster.cli;
import static dev.dfcache.e2e.LocalCluster.cliAs;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dfcache.e2e.LocalCluster;
import dev.dfcache.e2e.LocalCluster.CliResult;
import dev.dfcache.e2e.LocalCluster.Proc;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The local API acts as its caller, as the kernel names it. Real daemons run as root (as a
 * DaemonSet would); the CLI runs as users this test creates, through setpriv. CI runs as root;
 * elsewhere the test is skipped.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LocalCallerIT {
  static final String GROUP = "dfcache-it";
  static final String MEMBER = "dfcache-it-user";
  static final String OUTSIDER = "dfcache-it-other";

  LocalCluster cluster;
  Path work;
  Proc a;
  Proc b;
  Path home;
  int memberUid;
  int memberGid;

  @BeforeAll
  void start() throws Exception {
    Assumptions.assumeTrue(ProcessHandle.current().info().user().orElse("").equals("root"),
        "needs root to create users and run the CLI as them");
    run("sh", "-c", "getent group " + GROUP + " || groupadd " + GROUP);
    run("sh", "-c", "id " + MEMBER + " || useradd -M -N -g " + GROUP + " -s /bin/sh " + MEMBER);
    run("sh", "-c", "id " + OUTSIDER + " || useradd -M -N -s /bin/sh " + OUTSIDER);
    memberUid = Integer.parseInt(run("id", "-u", MEMBER).strip());
    memberGid = Integer.parseInt(run("id", "-g", MEMBER).strip());

    cluster = LocalCluster.inTempDir("dfcache-caller");
    work = cluster.work();
    Files.setPosixFilePermissions(work, PosixFilePermissions.fromString("rwxr-xr-x"));
    home = Files.createDirectories(work.resolve("home"));
    Files.setPosixFilePermissions(home, PosixFilePermissions.fromString("rwx------"));
    Files.setAttribute(home, "unix:uid", memberUid);
    Files.setAttribute(home, "unix:gid", memberGid);
    Proc scheduler = cluster.scheduler("scheduler");
    cluster.setJvmOptions("-Ddfcache.daemon.socket-group=" + GROUP);
    a = cluster.daemon("a", scheduler.grpc());
    b = cluster.daemon("b", scheduler.grpc());
  }

  @AfterAll
  void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  static String run(String... cmd) throws Exception {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    assertEquals(0, p.waitFor(), String.join(" ", cmd) + ": " + out);
    return out;
  }

  static List<String> as(String user) throws Exception {
    return List.of("setpriv", "--reuid=" + user, "--regid=" + run("id", "-g", user).strip(),
        "--init-groups", "--");
  }

  CliResult member(Proc daemon, String... args) throws Exception {
    return cliAs(as(MEMBER), daemon, args);
  }

  /** A file of the member's own, in its 0700 home. */
  Path ownFile(String name, int size) throws Exception {
    byte[] data = new byte[size];
    new Random(name.hashCode()).nextBytes(data);
    Path f = Files.write(home.resolve(name), data);
    Files.setAttribute(f, "unix:uid", memberUid);
    Files.setAttribute(f, "unix:gid", memberGid);
    return f;
  }

  static String sha256(Path p) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
        .digest(Files.readAllBytes(p)));
  }

  boolean heldLocally(Proc daemon, String cid) throws Exception {
    return cli(daemon, "stat", "-i", cid, "--local").exit() == 0;
  }

  @Test
  void theSocketHasTheModeAndGroupAsked() throws Exception {
    assertEquals("rw-rw----", PosixFilePermissions.toString(
        Files.getPosixFilePermissions(a.socket, LinkOption.NOFOLLOW_LINKS)));
    assertEquals(GROUP, Files.getAttribute(a.socket, "posix:group", LinkOption.NOFOLLOW_LINKS)
        .toString());
    // not in the group: the kernel refuses the connection itself
    CliResult r = cliAs(as(OUTSIDER), a, "stat", "-i", "anything");
    assertEquals(1, r.exit(), r.toString());
    assertTrue(r.err().contains("cannot reach dfdaemon"), r.toString());
  }

  @Test
  void aCallerCannotImportWhatItMayNotRead() throws Exception {
    CliResult shadow = member(a, "import", "-i", "shadow", "/etc/shadow");
    assertEquals(1, shadow.exit(), shadow.toString());
    assertTrue(shadow.err().contains("permission denied"), shadow.toString());
    assertFalse(heldLocally(a, "shadow"));

    // root's 0600 file in a directory anyone may search
    Path secret = Files.writeString(work.resolve("root-secret"), "root only");
    Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString("rw-------"));
    CliResult r = member(a, "import", "-i", "secret", secret.toString());
    assertEquals(1, r.exit(), r.toString());
    assertTrue(r.err().contains("permission denied"), r.toString());
    assertFalse(heldLocally(a, "secret"));
  }

  @Test
  void aCallerCannotExportWhereItMayNotWrite() throws Exception {
    Path own = ownFile("for-export", 300_000);
    assertEquals(0, member(a, "import", "-i", "for-export", own.toString()).exit());
    Path rootDir = Files.createDirectories(work.resolve("root-only-dir"));
    Files.setPosixFilePermissions(rootDir, PosixFilePermissions.fromString("rwxr-xr-x"));
    CliResult r = member(a, "export", "-i", "for-export", "-O", rootDir.resolve("x").toString());
    assertEquals(1, r.exit(), r.toString());
    assertTrue(r.err().contains("permission denied"), r.toString());
    try (var files = Files.list(rootDir)) {
      assertEquals(0, files.count(), "something was created in " + rootDir);
    }
  }

  @Test
  void aCallersOwnFileRoundTripsAndTheOutputIsItsOwnCopy() throws Exception {
    Path own = ownFile("own", 5 * 1024 * 1024 + 7);
    String digest = sha256(own);
    CliResult imported = member(a, "import", "-i", "own", own.toString());
    assertEquals(0, imported.exit(), imported.toString());
    Path out = home.resolve("own.out");
    CliResult exported = member(a, "export", "-i", "own", "-O", out.toString());
    assertEquals(0, exported.exit(), exported.toString());
    assertEquals(digest, sha256(out));
    assertEquals(memberUid, Files.getAttribute(out, "unix:uid"));
    assertEquals(memberGid, Files.getAttribute(out, "unix:gid"));
    // the output is a copy: its owner changing it changes nothing the cache serves
    Path data = a.dataDir.resolve("tasks");
    try (var stream = Files.walk(data)) {
      for (Path cached : stream.filter(p -> p.getFileName().toString().equals("data")).toList()) {
        assertNotEquals(Files.getAttribute(cached, "unix:ino"), Files.getAttribute(out, "unix:ino"));
        assertEquals("r--r--r--", PosixFilePermissions.toString(
            Files.getPosixFilePermissions(cached)));
      }
    }
    List<String> tamper = new ArrayList<>(as(MEMBER));
    tamper.addAll(List.of("sh", "-c", "printf tampered | dd of=" + out
        + " conv=notrunc status=none"));
    run(tamper.toArray(String[]::new));
    assertNotEquals(digest, sha256(out));
    Path fromB = work.resolve("own-from-b");
    CliResult other = cli(b, "export", "-i", "own", "-O", fromB.toString());
    assertEquals(0, other.exit(), other.toString());
    assertEquals(digest, sha256(fromB));
  }

  /**
   * A directory in the member's path flips between a real directory (with a file the member may
   * read) and a symlink to a root-only directory (with a secret of the same name) while the
   * member imports through it: each import either reads the member's own file or is refused;
   * the secret never enters the cache.
   */
  @Test
  void aSymlinkSwappedInDuringTheCallIsNeverFollowed() throws Exception {
    Path vault = Files.createDirectories(work.resolve("vault"));
    Files.setPosixFilePermissions(vault, PosixFilePermissions.fromString("rwx------"));
    Files.writeString(vault.resolve("f"), "the secret");
    Path real = Files.createDirectories(home.resolve("real"));
    Files.writeString(real.resolve("f"), "the member's own bytes");
    for (Path p : List.of(real, real.resolve("f"))) {
      Files.setAttribute(p, "unix:uid", memberUid);
    }
    Path flip = home.resolve("flip");
    Path link = home.resolve("flip-link");
    Files.createSymbolicLink(link, vault);
    Path parked = home.resolve("flip-real");
    Files.move(real, flip);
    AtomicBoolean running = new AtomicBoolean(true);
    Thread flipper = new Thread(() -> {
      try {
        while (running.get()) {
          Files.move(flip, parked, StandardCopyOption.ATOMIC_MOVE);
          Files.move(link, flip, StandardCopyOption.ATOMIC_MOVE);
          Thread.onSpinWait();
          Files.move(flip, link, StandardCopyOption.ATOMIC_MOVE);
          Files.move(parked, flip, StandardCopyOption.ATOMIC_MOVE);
        }
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
    }, "flipper");
    flipper.start();
    List<String> imported = new ArrayList<>();
    try {
      for (int i = 0; i < 12; i++) {
        CliResult r = member(a, "import", "-i", "flip-" + i, flip.resolve("f").toString());
        if (r.exit() == 0) {
          imported.add("flip-" + i);
        } else {
          assertTrue(r.err().contains("permission denied") || r.err().contains("does not exist")
              || r.err().contains("changed while"), r.toString());
        }
      }
    } finally {
      running.set(false);
      flipper.join();
    }
    for (String cid : imported) {
      Path out = work.resolve(cid + ".out");
      assertEquals(0, cli(a, "export", "-i", cid, "-O", out.toString()).exit());
      assertEquals("the member's own bytes", Files.readString(out), cid);
    }
  }

  @Test
  void rootKeepsReadingAnythingAndGetsAReadOnlyLink() throws Exception {
    Path secret = Files.writeString(work.resolve("root-file"), "root may",
        StandardOpenOption.CREATE_NEW);
    Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString("rw-------"));
    assertEquals(0, cli(a, "import", "-i", "root-file", secret.toString()).exit());
    Path out = work.resolve("root-file.out");
    assertEquals(0, cli(a, "export", "-i", "root-file", "-O", out.toString()).exit());
    assertEquals("root may", Files.readString(out));
    assertEquals("r--r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(out)));
  }

  /**
   * The legacy TCP local API: callers on this host only, acting as the daemon, inside the
   * allowed directories; with none allowed (here: exports), nothing is.
   */
  @Test
  void theLegacyTcpLocalApiStaysInsideTheAllowedDirectories() throws Exception {
    Path allowed = Files.createDirectories(work.resolve("legacy-allowed"));
    Path inside = Files.writeString(allowed.resolve("in"), "legacy bytes");
    Path outside = Files.writeString(work.resolve("legacy-outside"), "not for tcp");
    int grpc = LocalCluster.freePort();
    int upload = LocalCluster.freePort();
    Proc legacy = cluster.process("legacy",
        List.of("-Ddfcache.daemon.allowed-import-dirs.0=" + allowed),
        List.of("dfdaemon", "--standalone", "--host", "127.0.0.1", "--grpc-port", "" + grpc,
            "--upload-port", "" + upload, "--data-dir", work.resolve("legacy").toString(),
            "--socket", work.resolve("sockets").resolve("legacy.sock").toString(),
            "--legacy-tcp-local-api"),
        java.util.Map.of(), "dfdaemon ready", grpc, upload);
    io.grpc.ManagedChannel tcp = dev.dfcache.rpc.Channels.open(
        new dev.dfcache.common.HostPort("127.0.0.1", legacy.grpcPort));
    try {
      var call = java.time.Duration.ofSeconds(30);
      dev.dfcache.rpc.DaemonRpc.IMPORT_TASK.call(tcp, importReq("legacy", inside), call);
      var refused = org.junit.jupiter.api.Assertions.assertThrows(
          io.grpc.StatusRuntimeException.class,
          () -> dev.dfcache.rpc.DaemonRpc.IMPORT_TASK.call(tcp, importReq("outside", outside),
              call));
      assertTrue(refused.getStatus().getDescription().startsWith("[1400]"), refused.toString());
      Path out = allowed.resolve("out");
      var noExports = org.junit.jupiter.api.Assertions.assertThrows(
          io.grpc.StatusRuntimeException.class,
          () -> dev.dfcache.rpc.DaemonRpc.EXPORT_TASK.call(tcp,
              dev.dfcache.api.dfdaemon.ExportTaskRequest.newBuilder()
                  .setUrl(dev.dfcache.common.TaskIds.urlForCid("legacy"))
                  .setOutput(out.toString()).build(), call));
      assertTrue(noExports.getStatus().getDescription().contains("allowed"), noExports.toString());
      assertFalse(Files.exists(out));
      // the socket still serves the same daemon, as the caller
      assertEquals(0, cli(legacy, "export", "-i", "legacy", "-O", out.toString()).exit());
      assertEquals("legacy bytes", Files.readString(out));
    } finally {
      tcp.shutdownNow();
    }
  }

  static dev.dfcache.api.dfdaemon.ImportTaskRequest importReq(String cid, Path file) {
    return dev.dfcache.api.dfdaemon.ImportTaskRequest.newBuilder()
        .setUrl(dev.dfcache.common.TaskIds.urlForCid(cid)).setPath(file.toString()).build();
  }
}
