package dev.dfcache.access;

import static java.nio.file.LinkOption.NOFOLLOW_LINKS;
import static java.nio.file.StandardOpenOption.CREATE_NEW;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;

import dev.dfcache.common.DfException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * Opens the files a local API caller names, with the caller's permissions rather than ours: the
 * daemon runs as root and cannot switch identity per thread, so it checks the mode bits itself.
 *
 * <p>How, and why it holds against a caller racing us: the path is resolved once (toRealPath),
 * then walked again from {@code /}, one directory at a time, each opened relative to the one
 * before with O_NOFOLLOW (SecureDirectoryStream). Every check is made on what is held open (fstat
 * through {@code /proc/self/fd/N}), never on a name, so a symlink or directory swapped in after
 * the resolution is refused instead of followed, and what was checked is what gets read or written.
 *
 * <p>The rule is the kernel's for POSIX mode bits: root may do anything; the owner gets the owner
 * bits only, a member of the file's group the group bits only, everyone else the other bits.
 * ACLs and LSMs (SELinux, AppArmor) are not consulted.
 */
public final class CallerFiles {
  private static final Path ROOT = Path.of("/");
  private static final Set<PosixFilePermission> OUTPUT_MODE =
      PosixFilePermissions.fromString("rw-r--r--");
  private static final int R = 4;
  private static final int W = 2;
  private static final int X = 1;

  /** Whether chown is ours to do, asked once (the daemon does not change identity). */
  private static final class Daemon {
    static final boolean ROOT = Caller.self().isRoot();
  }

  private CallerFiles() {}

  /** An absolute path without . or .. segments, or BadRequest naming {@code what}. */
  public static Path absolutePath(String raw, String what) {
    if (raw == null || raw.isBlank()) {
      throw DfException.badRequest(what + " path must not be empty");
    }
    if (raw.indexOf('\0') >= 0) {
      throw DfException.badRequest(what + " path contains a NUL byte");
    }
    Path p;
    try {
      p = Path.of(raw);
    } catch (InvalidPathException e) {
      throw DfException.badRequest(what + " path is not valid: " + e.getMessage());
    }
    if (!p.isAbsolute()) {
      throw DfException.badRequest(what + " path must be absolute: " + raw);
    }
    for (Path part : p) {
      if (part.toString().equals("..") || part.toString().equals(".")) {
        throw DfException.badRequest(what + " path must not contain . or .. segments: " + raw);
      }
    }
    return p;
  }

  /**
   * Opens the regular file {@code rawPath} for reading, if the caller may read it.
   *
   * @throws DfException BadRequest for a bad, missing or non-regular input; PermissionDenied when
   *     the caller may not search a directory on the way or read the file, or a component was
   *     swapped for a symlink after resolution
   * @throws UncheckedIOException on any other I/O failure
   */
  public static FileChannel openForReading(Caller caller, String rawPath) {
    return openForReading(caller, rawPath, PathScope.anywhere());
  }

  /** As above, and only if the resolved file lies in {@code scope} (else BadRequest). */
  public static FileChannel openForReading(Caller caller, String rawPath, PathScope scope) {
    Path shown = absolutePath(rawPath, "input");
    Path real;
    try {
      real = shown.toRealPath();
    } catch (IOException e) {
      throw DfException.badRequest("input file does not exist: " + shown);
    }
    requireInScope(scope, real, "input", shown);
    return openResolved(caller, shown, real);
  }

  /** The walk and open, from an already resolved path (a test swaps a component in between). */
  static FileChannel openResolved(Caller caller, Path shown, Path real) {
    if (real.getFileName() == null) {
      throw DfException.badRequest("input is a directory, not a file: " + shown);
    }
    String missing = "input file does not exist: " + shown;
    SecureDirectoryStream<Path> dir = walk(caller, real.getParent(), "input", shown, missing);
    FileChannel channel = null;
    try {
      // Checked by name first (lstat through the held directory) so that we never open a fifo
      // (would block) or a device (may act on open) the caller names, nor one it may not read...
      Path name = real.getFileName();
      requireReadableFile(caller, Stat.of(at(dir, name), NOFOLLOW_LINKS), shown);
      channel = fileChannel(dir.newByteChannel(name, Set.of(READ, NOFOLLOW_LINKS)));
      // ...and again on the descriptor: this is the inode we will read, whatever the name is now.
      requireReadableFile(caller, Stat.of(self(channel)), shown);
      FileChannel opened = channel;
      channel = null;
      return opened;
    } catch (IOException e) {
      throw failure(e, "input", shown, missing);
    } finally {
      closeQuietly(channel);
      closeQuietly(dir);
    }
  }

  /**
   * Creates a temp file next to {@code rawPath}, owned by the caller, that {@link
   * ExportTarget#commit()} publishes under that name, if the caller may create files there.
   *
   * @throws DfException BadRequest for a bad path, a missing directory or an existing output;
   *     PermissionDenied when the caller may not search a directory on the way or write in the
   *     last one, or a component was swapped for a symlink after resolution
   * @throws UncheckedIOException on any other I/O failure
   */
  public static ExportTarget createOutput(Caller caller, String rawPath) {
    return createOutput(caller, rawPath, PathScope.anywhere());
  }

  /** As above, and only if the resolved output directory is in {@code scope} (else BadRequest). */
  public static ExportTarget createOutput(Caller caller, String rawPath, PathScope scope) {
    Path shown = absolutePath(rawPath, "output");
    Path parent = shown.getParent();
    if (parent == null || shown.getFileName() == null) {
      throw DfException.badRequest("output must name a file: " + shown);
    }
    Path realDir;
    try {
      realDir = parent.toRealPath();
    } catch (IOException e) {
      throw DfException.badRequest("output directory does not exist: " + parent);
    }
    if (!Files.isDirectory(realDir)) { // for the message only: the walk is what is relied on
      throw DfException.badRequest("output directory does not exist: " + parent);
    }
    requireInScope(scope, realDir, "output", shown);
    return createResolved(caller, shown, realDir);
  }

  /** The walk and create, from an already resolved directory (as for openResolved). */
  static ExportTarget createResolved(Caller caller, Path shown, Path realDir) {
    Path name = shown.getFileName();
    String missing = "output directory does not exist: " + shown.getParent();
    SecureDirectoryStream<Path> dir = walk(caller, realDir, "output", shown, missing);
    ExportTarget target = null;
    try {
      requireAbsent(dir, name, shown);
      if (!permits(caller, Stat.of(self(dir)), W | X)) {
        throw DfException.permissionDenied("permission denied: uid " + caller.uid()
            + " may not write in " + realDir);
      }
      // O_CREAT|O_EXCL: a fresh inode of our own, whatever the caller put in the directory.
      Path tmp = Path.of("." + name + ".dfcache-" + UUID.randomUUID());
      FileChannel channel = fileChannel(dir.newByteChannel(tmp,
          Set.of(CREATE_NEW, WRITE, READ, NOFOLLOW_LINKS),
          PosixFilePermissions.asFileAttribute(OUTPUT_MODE)));
      target = new ExportTarget(dir, name, tmp, channel, shown, caller.isRoot());
      dir = null; // the target owns (and on failure closes) the directory from here on
      // Through the descriptor, so the mode (not left to our umask) and the owner reach this
      // inode, never a name the caller could swap.
      Path inode = self(channel);
      Files.setPosixFilePermissions(inode, OUTPUT_MODE);
      // A daemon that is not root cannot give a file away: its outputs stay its own (0644).
      if (!caller.isRoot() && Daemon.ROOT) {
        Files.setAttribute(inode, "unix:uid", caller.uid());
        Files.setAttribute(inode, "unix:gid", caller.gid());
      }
      ExportTarget created = target;
      target = null;
      return created;
    } catch (IOException e) {
      throw failure(e, "output", shown, missing);
    } finally {
      closeQuietly(target);
      closeQuietly(dir);
    }
  }

  /** On the resolved path: the walk then opens exactly that one, or refuses. */
  private static void requireInScope(PathScope scope, Path real, String what, Path shown) {
    if (!scope.allows(real)) {
      throw DfException.badRequest(what + " " + shown + " is outside the allowed directories ("
          + what + "s are allowed " + scope + ")");
    }
  }

  // ------------------------------------------------------------------ the walk

  /**
   * Opens the resolved directory {@code dir} from {@code /}, one component at a time and never
   * through a symlink, requiring search permission for the caller on every directory held.
   */
  private static SecureDirectoryStream<Path> walk(Caller caller, Path dir, String what,
      Path shown, String missing) {
    SecureDirectoryStream<Path> held = null;
    try {
      held = openRoot();
      Path here = ROOT;
      requireSearch(caller, held, here);
      for (Path part : dir) {
        SecureDirectoryStream<Path> next = held.newDirectoryStream(part, NOFOLLOW_LINKS);
        closeQuietly(held);
        held = next;
        here = here.resolve(part);
        requireSearch(caller, held, here);
      }
      SecureDirectoryStream<Path> result = held;
      held = null;
      return result;
    } catch (IOException e) {
      throw failure(e, what, shown, missing);
    } finally {
      closeQuietly(held);
    }
  }

  private static SecureDirectoryStream<Path> openRoot() throws IOException {
    DirectoryStream<Path> root = Files.newDirectoryStream(ROOT);
    if (root instanceof SecureDirectoryStream<Path> secure) {
      return secure;
    }
    closeQuietly(root);
    throw new IllegalStateException("no SecureDirectoryStream on this platform: cannot open "
        + "caller files safely");
  }

  private static void requireSearch(Caller caller, SecureDirectoryStream<Path> dir, Path here)
      throws IOException {
    if (!permits(caller, Stat.of(self(dir)), X)) {
      throw DfException.permissionDenied("permission denied: uid " + caller.uid()
          + " may not search " + here);
    }
  }

  private static void requireReadableFile(Caller caller, Stat stat, Path shown) {
    if (stat.isSymlink()) {
      throw changed("input", shown);
    }
    if (stat.isDirectory()) {
      throw DfException.badRequest("input is a directory, not a file: " + shown);
    }
    if (!stat.isRegularFile()) {
      throw DfException.badRequest("input is not a regular file: " + shown);
    }
    if (!permits(caller, stat, R)) {
      throw DfException.permissionDenied("permission denied: uid " + caller.uid()
          + " may not read " + shown);
    }
  }

  /** Whatever is there (a symlink included, not followed) is not replaced. */
  private static void requireAbsent(SecureDirectoryStream<Path> dir, Path name, Path shown)
      throws IOException {
    Stat existing;
    try {
      existing = Stat.of(at(dir, name), NOFOLLOW_LINKS);
    } catch (NoSuchFileException e) {
      return;
    }
    throw DfException.badRequest(existing.isDirectory() ? "output is a directory: " + shown
        : "output already exists (not overwritten): " + shown);
  }

  /** The kernel's DAC order: the first class the caller belongs to decides, even if it denies. */
  private static boolean permits(Caller caller, Stat stat, int want) {
    if (caller.isRoot()) {
      return true; // DAC override (x on regular files aside, which is never asked here)
    }
    int shift = caller.uid() == stat.uid() ? 6 : caller.inGroup(stat.gid()) ? 3 : 0;
    return ((stat.mode() >> shift) & want) == want;
  }

  /**
   * A vanished component is "missing"; ELOOP (a symlink met with O_NOFOLLOW) or ENOTDIR (no longer
   * a directory) means the tree changed since it was resolved: refused, not retried.
   */
  private static RuntimeException failure(IOException e, String what, Path shown, String missing) {
    if (e instanceof NoSuchFileException) {
      return DfException.badRequest(missing);
    }
    if (e instanceof NotDirectoryException || e.getClass() == FileSystemException.class) {
      return changed(what, shown);
    }
    if (e instanceof java.nio.file.AccessDeniedException) {
      // the caller may, but the daemon itself may not (a daemon that does not run as root)
      return DfException.permissionDenied("permission denied: the daemon (uid "
          + Caller.self().uid() + ") may not " + (what.equals("input") ? "read " : "write ")
          + shown);
    }
    return new UncheckedIOException(what + " " + shown + ": " + e.getMessage(), e);
  }

  private static DfException changed(String what, Path shown) {
    return DfException.permissionDenied(what
        + " changed while it was opened (a symlink was swapped in): " + shown);
  }

  // ------------------------------------------------------------------ descriptors

  /** The open file itself, for stat/chmod/chown: /proc/self/fd/N leads to the inode. */
  static Path self(FileChannel channel) {
    return Path.of("/proc/self/fd/" + Fds.of(channel));
  }

  /** The held directory, as a path that leads to it and not to whatever now has its name. */
  static Path self(SecureDirectoryStream<Path> dir) {
    return Path.of("/proc/self/fd/" + Fds.of(dir));
  }

  /** {@code name} inside the held directory (fstatat/linkat by path, without a path race). */
  static Path at(SecureDirectoryStream<Path> dir, Path name) {
    return self(dir).resolve(name);
  }

  private static FileChannel fileChannel(SeekableByteChannel channel) {
    if (channel instanceof FileChannel file) {
      return file;
    }
    closeQuietly(channel);
    throw new IllegalStateException("expected a FileChannel, got " + channel.getClass());
  }

  static void closeQuietly(AutoCloseable c) {
    if (c != null) {
      try {
        c.close();
      } catch (Exception ignored) {
        // cleanup after a failure or of a read-only handle: nothing to report
      }
    }
  }

  /** What the permission rule needs of an inode: st_mode (type and bits), owner, group. */
  private record Stat(int mode, int uid, int gid) {
    private static final int S_IFMT = 0170000;

    static Stat of(Path path, LinkOption... options) throws IOException {
      // The "unix" view, for numeric ids: the posix view only has names (passwd lookups).
      Map<String, Object> a = Files.readAttributes(path, "unix:mode,uid,gid", options);
      return new Stat((Integer) a.get("mode"), (Integer) a.get("uid"), (Integer) a.get("gid"));
    }

    boolean isDirectory() {
      return (mode & S_IFMT) == 0040000;
    }

    boolean isRegularFile() {
      return (mode & S_IFMT) == 0100000;
    }

    boolean isSymlink() {
      return (mode & S_IFMT) == 0120000;
    }
  }
}
