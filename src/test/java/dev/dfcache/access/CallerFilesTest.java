package dev.dfcache.access;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dfcache.api.common.Code;
import dev.dfcache.common.DfException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/**
 * The caller's permissions as CallerFiles applies them. Runs as root (like the daemon), so other
 * users are emulated by Caller values and files given owners and modes by hand.
 */
class CallerFilesTest {
  private static final Caller ROOT = new Caller(0, 0, Set.of(0), 1);
  private static final Caller ALICE = new Caller(1000, 1000, Set.of(1000), 1);
  private static final Caller BOB = new Caller(1001, 1001, Set.of(1001), 1);

  @TempDir
  Path tmp;

  @BeforeEach
  void searchableTempDir() throws IOException {
    Assumptions.assumeTrue(Caller.self().isRoot(), "needs root: sets file owners");
    chmod(tmp, "rwxr-xr-x"); // @TempDir is 0700 root: nobody else could even search it
  }

  // ------------------------------------------------------------------ reading

  @Test
  void rootReadsAnything() throws IOException {
    Path f = file(tmp.resolve("f"), "secret", 1000, 1000, "---------");
    assertEquals("secret", read(ROOT, f));
  }

  @Test
  void anotherUsersPrivateFileIsRefusedAndNothingStaysOpen() throws IOException {
    Path f = file(tmp.resolve("f"), "secret", 1001, 1001, "rw-------");
    expect(Code.PermissionDenied, "permission denied: uid 1000 may not read " + f,
        () -> CallerFiles.openForReading(ALICE, f.toString()));
    assertEquals(0, openFdsUnder(tmp));
  }

  @Test
  void theOwnerReadsItsOwnPrivateFile() throws IOException {
    Path f = file(tmp.resolve("f"), "mine", 1000, 1000, "rw-------");
    assertEquals("mine", read(ALICE, f));
  }

  @Test
  void groupBitsApplyToGroupMembersOnly() throws IOException {
    Path f = file(tmp.resolve("f"), "team", 0, 2000, "rw-r-----");
    assertEquals("team", read(new Caller(1000, 1000, Set.of(1000, 2000), 1), f));
    expect(Code.PermissionDenied, "may not read", () -> read(ALICE, f));
  }

  @Test
  void anOwnerWithoutTheOwnerBitIsRefusedEvenWhenOthersMayRead() throws IOException {
    Path f = file(tmp.resolve("f"), "odd", 1000, 3000, "---r--r--");
    expect(Code.PermissionDenied, "uid 1000 may not read", () -> read(ALICE, f));
    assertEquals("odd", read(BOB, f));
  }

  @Test
  void aDirectoryWithoutSearchPermissionRefusesTheFilesBelow() throws IOException {
    Path dir = Files.createDirectory(tmp.resolve("d"));
    own(dir, 0, 0, "rwxr-x---");
    Path f = file(dir.resolve("f"), "below", 0, 0, "rw-r--r--");
    expect(Code.PermissionDenied, "permission denied: uid 1000 may not search " + dir,
        () -> read(ALICE, f));
    assertEquals(0, openFdsUnder(tmp));
    chmod(dir, "rwxr-x--x"); // search without read is enough
    assertEquals("below", read(ALICE, f));
  }

  @Test
  void aSymlinkIsFollowedWhenThePathIsResolved() throws IOException {
    Path f = file(tmp.resolve("f"), "target", 0, 0, "rw-r--r--");
    Path link = Files.createSymbolicLink(tmp.resolve("link"), f);
    assertEquals("target", read(ALICE, link));
  }

  @Test
  void aParentDirectorySwappedForASymlinkAfterResolutionIsRefused() throws IOException {
    Path dir = Files.createDirectory(tmp.resolve("dir"));
    Path other = Files.createDirectory(tmp.resolve("other"));
    file(dir.resolve("f"), "checked", 0, 0, "rw-r--r--");
    file(other.resolve("f"), "swapped in", 0, 0, "rw-------");
    Path shown = dir.resolve("f");
    Path real = shown.toRealPath();
    // what a racing caller does between our resolution and our walk
    Files.move(dir, tmp.resolve("dir.old"));
    Files.createSymbolicLink(dir, other);
    for (Caller caller : List.of(ALICE, ROOT)) { // not a permission matter: even root refuses
      expect(Code.PermissionDenied, "input changed while it was opened (a symlink was swapped in): "
          + shown, () -> CallerFiles.openResolved(caller, shown, real));
    }
    assertEquals(0, openFdsUnder(tmp));
  }

  @Test
  void aFileSwappedForASymlinkAfterResolutionIsRefused() throws IOException {
    Path f = file(tmp.resolve("f"), "checked", 0, 0, "rw-r--r--");
    Path secret = file(tmp.resolve("secret"), "secret", 0, 0, "rw-------");
    Path real = f.toRealPath();
    Files.delete(f);
    Files.createSymbolicLink(f, secret);
    expect(Code.PermissionDenied, "changed while it was opened",
        () -> CallerFiles.openResolved(ROOT, f, real));
    assertEquals(0, openFdsUnder(tmp));
  }

  @Test
  void theDescriptorsStatIsTheOpenedInodeNotTheName() throws IOException {
    Path f = file(tmp.resolve("f"), "first", 0, 0, "rw-r--r--");
    Object opened = Files.getAttribute(f, "unix:ino");
    try (FileChannel ch = CallerFiles.openForReading(ROOT, f.toString())) {
      Files.delete(f);
      file(f, "second", 0, 0, "rw-r--r--");
      Path self = CallerFiles.self(ch);
      assertEquals(opened, Files.getAttribute(self, "unix:ino"));
      assertNotEquals(Files.getAttribute(f, "unix:ino"), Files.getAttribute(self, "unix:ino"));
    }
  }

  @Test
  void badInputsKeepTheirMessages() throws IOException {
    expect(Code.BadRequest, "input path must not be empty",
        () -> CallerFiles.absolutePath("", "input"));
    expect(Code.BadRequest, "input path contains a NUL byte",
        () -> CallerFiles.absolutePath("/tmp/a\0b", "input"));
    expect(Code.BadRequest, "output path must be absolute: relative/x",
        () -> CallerFiles.absolutePath("relative/x", "output"));
    expect(Code.BadRequest, "input path must not contain . or .. segments: /tmp/../etc/passwd",
        () -> CallerFiles.openForReading(ROOT, "/tmp/../etc/passwd"));
    expect(Code.BadRequest, "input path must not contain . or .. segments: /tmp/./x",
        () -> CallerFiles.openForReading(ROOT, "/tmp/./x"));
    expect(Code.BadRequest, "input file does not exist: " + tmp.resolve("missing"),
        () -> CallerFiles.openForReading(ROOT, tmp.resolve("missing").toString()));
    expect(Code.BadRequest, "input is a directory, not a file: " + tmp,
        () -> CallerFiles.openForReading(ROOT, tmp.toString()));
    expect(Code.BadRequest, "input is not a regular file: /dev/null",
        () -> CallerFiles.openForReading(ROOT, "/dev/null"));
    expect(Code.BadRequest, "output must name a file: /",
        () -> CallerFiles.createOutput(ROOT, "/"));
    expect(Code.BadRequest, "output directory does not exist: " + tmp.resolve("no"),
        () -> CallerFiles.createOutput(ROOT, tmp.resolve("no/x").toString()));
    Files.createDirectory(tmp.resolve("d"));
    expect(Code.BadRequest, "output is a directory: " + tmp.resolve("d"),
        () -> CallerFiles.createOutput(ROOT, tmp.resolve("d").toString()));
    Files.writeString(tmp.resolve("e"), "old");
    expect(Code.BadRequest, "output already exists (not overwritten): " + tmp.resolve("e"),
        () -> CallerFiles.createOutput(ROOT, tmp.resolve("e").toString()));
    Files.createSymbolicLink(tmp.resolve("dangling"), tmp.resolve("nowhere"));
    expect(Code.BadRequest, "output already exists (not overwritten)",
        () -> CallerFiles.createOutput(ROOT, tmp.resolve("dangling").toString()));
    assertEquals(0, openFdsUnder(tmp));
  }

  @Test
  void aScopeConfinesTheResolvedPath() throws IOException {
    Path allowed = Files.createDirectory(tmp.resolve("allowed"));
    Path outside = file(tmp.resolve("outside"), "no", 0, 0, "rw-r--r--");
    Path link = Files.createSymbolicLink(allowed.resolve("link"), outside);
    PathScope scope = PathScope.within(List.of(allowed));
    expect(Code.BadRequest, "input " + link + " is outside the allowed directories",
        () -> CallerFiles.openForReading(ROOT, link.toString(), scope));
    expect(Code.BadRequest, "is outside the allowed directories",
        () -> CallerFiles.createOutput(ROOT, tmp.resolve("x").toString(), scope));
    CallerFiles.createOutput(ROOT, allowed.resolve("x").toString(), scope).close();
  }

  // ------------------------------------------------------------------ writing

  @Test
  void noOutputInADirectoryTheCallerMayNotWriteIn() throws IOException {
    Path dir = Files.createDirectory(tmp.resolve("d"));
    chmod(dir, "rwxr-xr-x");
    expect(Code.PermissionDenied, "permission denied: uid 1000 may not write in " + dir,
        () -> CallerFiles.createOutput(ALICE, dir.resolve("out").toString()));
    assertEquals(List.of(), list(dir));
    assertEquals(0, openFdsUnder(tmp));
  }

  @Test
  void anOutputInAStickyWorldWritableDirectoryBelongsToTheCaller() throws IOException {
    Path dir = Files.createDirectory(tmp.resolve("shared"));
    chmod(dir, "rwxrwxrwx");
    Files.setAttribute(dir, "unix:mode", 01777);
    Path out = dir.resolve("out");
    assertEquals("hello", export(ALICE, out, "hello"));
    assertEquals(1000, Files.getAttribute(out, "unix:uid"));
    assertEquals(1000, Files.getAttribute(out, "unix:gid"));
    assertEquals("rw-r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(out)));
    assertEquals(List.of("out"), list(dir));
  }

  @Test
  void anOutputInTheCallersOwnDirectory() throws IOException {
    Path home = Files.createDirectory(tmp.resolve("alice"));
    own(home, 1000, 1000, "rwx------");
    Path out = home.resolve("out");
    assertEquals("data", export(ALICE, out, "data"));
    assertEquals(1000, Files.getAttribute(out, "unix:uid"));
    expect(Code.PermissionDenied, "uid 1001 may not search " + home,
        () -> CallerFiles.createOutput(BOB, home.resolve("bob").toString()));
  }

  @Test
  void commitNeverReplacesAFileCreatedAfterTheCheck() throws IOException {
    Path out = tmp.resolve("out");
    try (ExportTarget target = CallerFiles.createOutput(ROOT, out.toString())) {
      target.channel().write(ByteBuffer.wrap("ours".getBytes(StandardCharsets.UTF_8)));
      Files.writeString(out, "theirs");
      expect(Code.BadRequest, "output already exists (not overwritten): " + out, target::commit);
    }
    assertEquals("theirs", Files.readString(out));
    assertEquals(List.of("out"), list(tmp));
    assertEquals(0, openFdsUnder(tmp));
  }

  @Test
  void closeWithoutCommitLeavesNothing() throws IOException {
    Path out = tmpDirFor(ALICE).resolve("out");
    try (ExportTarget target = CallerFiles.createOutput(ALICE, out.toString())) {
      target.channel().write(ByteBuffer.wrap("half".getBytes(StandardCharsets.UTF_8)));
      assertEquals(1, list(tmpDirFor(ALICE)).size()); // the temp file
    }
    assertEquals(List.of(), list(tmpDirFor(ALICE)));
    assertEquals(0, openFdsUnder(tmp));
  }

  @Test
  void linkFromGivesRootTheSameInode() throws IOException {
    Path cache = file(Files.createDirectory(tmp.resolve("cache")).resolve("data"), "cached", 0, 0,
        "r--r--r--");
    Path outDir = Files.createDirectory(tmp.resolve("out"));
    Path out = outDir.resolve("x");
    try (ExportTarget target = CallerFiles.createOutput(ROOT, out.toString())) {
      target.linkFrom(cache);
    }
    assertEquals(Files.readAttributes(cache, BasicFileAttributes.class).fileKey(),
        Files.readAttributes(out, BasicFileAttributes.class).fileKey());
    assertEquals(List.of("x"), list(outDir));
    Path forAlice = tmpDirFor(ALICE).resolve("y");
    try (ExportTarget target = CallerFiles.createOutput(ALICE, forAlice.toString())) {
      assertThrows(IllegalStateException.class, () -> target.linkFrom(cache));
    }
    assertEquals(0, openFdsUnder(tmp));
  }

  // ------------------------------------------------------------------ helpers

  private static String read(Caller caller, Path p) throws IOException {
    try (FileChannel ch = CallerFiles.openForReading(caller, p.toString())) {
      ByteBuffer buf = ByteBuffer.allocate((int) ch.size());
      while (buf.hasRemaining() && ch.read(buf) > 0) {
        // until full
      }
      return new String(buf.array(), StandardCharsets.UTF_8);
    }
  }

  private static String export(Caller caller, Path out, String content) throws IOException {
    try (ExportTarget target = CallerFiles.createOutput(caller, out.toString())) {
      target.channel().write(ByteBuffer.wrap(content.getBytes(StandardCharsets.UTF_8)));
      target.commit();
    }
    return Files.readString(out);
  }

  private Path tmpDirFor(Caller caller) throws IOException {
    Path dir = tmp.resolve("home-" + caller.uid());
    if (!Files.isDirectory(dir)) {
      Files.createDirectory(dir);
      own(dir, caller.uid(), caller.gid(), "rwxr-xr-x");
    }
    return dir;
  }

  private static Path file(Path p, String content, int uid, int gid, String mode)
      throws IOException {
    Files.writeString(p, content);
    own(p, uid, gid, mode);
    return p;
  }

  private static void own(Path p, int uid, int gid, String mode) throws IOException {
    Files.setAttribute(p, "unix:uid", uid);
    Files.setAttribute(p, "unix:gid", gid);
    chmod(p, mode);
  }

  private static void chmod(Path p, String mode) throws IOException {
    Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(mode));
  }

  private static List<String> list(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  /** Descriptors of this process open on anything below {@code dir}: a leak shows here. */
  private static long openFdsUnder(Path dir) throws IOException {
    try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
      return fds.filter(fd -> {
        try {
          return Files.readSymbolicLink(fd).startsWith(dir);
        } catch (IOException e) {
          return false; // closed meanwhile (e.g. the listing's own descriptor)
        }
      }).count();
    }
  }

  private static void expect(Code code, String messagePart, Executable call) {
    DfException e = assertThrows(DfException.class, call);
    assertEquals(code, e.code(), e.getMessage());
    assertTrue(e.getMessage().contains(messagePart),
        "expected \"" + messagePart + "\" in \"" + e.getMessage() + "\"");
  }
}
