package dev.dfcache.storage;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dfcache.api.common.Code;
import dev.dfcache.common.ContentDigest;
import dev.dfcache.common.DfException;
import dev.dfcache.common.Digests;
import dev.dfcache.common.PieceLayout;
import dev.dfcache.common.TransferProgress;
import dev.dfcache.access.ExportTarget;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's cache on local disk. Layout: {@code <data-dir>/tasks/<id[0:3]>/<id>/data} and
 * {@code meta.json}; work in progress lives under {@code <data-dir>/tmp/} and becomes visible by
 * one directory rename, so a crash never leaves a half-written task in the tree. The files are the
 * truth; the in-memory index is rebuilt by a scan at open.
 *
 * <p>All methods block on disk I/O: call them from the blocking I/O dispatcher, never an actor.
 */
public final class TaskStore {
  private static final Logger log = LoggerFactory.getLogger(TaskStore.class);
  private static final ObjectMapper JSON =
      new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);
  private static final int IO_CHUNK = 1 << 20;
  private static final java.util.Set<java.nio.file.attribute.PosixFilePermission> READ_ONLY =
      java.nio.file.attribute.PosixFilePermissions.fromString("r--r--r--");
  /** The cache is the daemon's alone: local users get bytes through the local API only. */
  private static final java.util.Set<java.nio.file.attribute.PosixFilePermission> PRIVATE_DIR =
      java.nio.file.attribute.PosixFilePermissions.fromString("rwx------");

  private final Path tasksDir;
  private final Path tmpDir;
  /**
   * fsync data and metadata before a task becomes visible. Off by default: a process crash loses
   * nothing without it (the page cache survives), and after a restart a scrub re-hashes every
   * piece and drops a task that fails (see {@link #verifyAll}); downloaders verify every piece too.
   */
  private final boolean fsync;
  /** Bytes the store may hold (0 = no quota: the watermarks then apply to the filesystem). */
  private final long quota;
  private final ConcurrentHashMap<String, Long> lastAccess = new ConcurrentHashMap<>();
  private final Object spaceLock = new Object();
  /** Bytes promised to imports and downloads in progress. Guarded by spaceLock. */
  private long reserved;
  private volatile java.util.function.Consumer<String> evictionListener = id -> {};
  private final ConcurrentHashMap<String, StoredTask> complete = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, PartialTask> partial = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, Object> taskLocks = new ConcurrentHashMap<>();

  private TaskStore(Path dataDir, boolean fsync, long quota) {
    this.tasksDir = dataDir.resolve("tasks");
    this.tmpDir = dataDir.resolve("tmp");
    this.fsync = fsync;
    this.quota = quota;
  }

  public static TaskStore open(Path dataDir) throws IOException {
    return open(dataDir, false, 0);
  }

  /** Opens (creating if needed) a store, drops leftovers of a crash and indexes complete tasks. */
  public static TaskStore open(Path dataDir, boolean fsync, long quota) throws IOException {
    TaskStore store = new TaskStore(dataDir.toAbsolutePath().normalize(), fsync, quota);
    Files.createDirectories(store.tasksDir);
    Files.setPosixFilePermissions(store.tasksDir.getParent(), PRIVATE_DIR);
    Files.createDirectories(store.tmpDir);
    deleteRecursively(store.tmpDir);
    Files.createDirectories(store.tmpDir);
    store.scan();
    return store;
  }

  private void scan() throws IOException {
    try (Stream<Path> prefixes = Files.list(tasksDir)) {
      for (Path prefix : (Iterable<Path>) prefixes::iterator) {
        try (Stream<Path> dirs = Files.list(prefix)) {
          for (Path dir : (Iterable<Path>) dirs::iterator) {
            loadTask(dir).ifPresentOrElse(
                t -> {
                  complete.put(t.taskId(), t);
                  lastAccess.put(t.taskId(), t.meta().createdAtMillis());
                },
                () -> {
                  log.warn("removing unusable task directory {}", dir);
                  deleteQuietly(dir);
                });
          }
        }
      }
    }
    log.info("store {} holds {} tasks", tasksDir.getParent(), complete.size());
  }

  private Optional<StoredTask> loadTask(Path dir) {
    try {
      TaskMeta meta = JSON.readValue(dir.resolve(StoredTask.META).toFile(), TaskMeta.class);
      StoredTask task = new StoredTask(meta, dir);
      boolean consistent = meta.done()
          && dir.getFileName().toString().equals(meta.taskId())
          && dir.equals(dirOf(meta.taskId()))
          && meta.pieceDigests().size() == meta.layout().pieceCount()
          && Digests.pieceListSign(meta.pieceDigests()).equals(meta.pieceListSign())
          && Files.size(task.dataFile()) == meta.contentLength();
      return consistent ? Optional.of(task) : Optional.empty();
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
  }

  /**
   * Re-hashes every piece of every complete task and removes the tasks whose bytes no longer match
   * their metadata (a machine crash without fsync, a disk error, a hand-edited file).
   *
   * @return the ids of the tasks removed
   */
  public List<String> verifyAll() {
    List<String> removed = new ArrayList<>();
    ByteBuffer buf = ByteBuffer.allocateDirect(IO_CHUNK);
    for (StoredTask task : all()) {
      if (!verify(task, buf)) {
        log.warn("task {} does not match its metadata; removing it", task.taskId());
        delete(task.taskId());
        removed.add(task.taskId());
      }
    }
    return removed;
  }

  private static boolean verify(StoredTask task, ByteBuffer buf) {
    PieceLayout layout = task.meta().layout();
    try (FileChannel in = FileChannel.open(task.dataFile(), StandardOpenOption.READ)) {
      if (in.size() != layout.contentLength()) {
        return false;
      }
      for (int piece = 0; piece < layout.pieceCount(); piece++) {
        MessageDigest md = Digests.sha256();
        long pos = layout.offsetOf(piece);
        long end = pos + layout.sizeOf(piece);
        while (pos < end) {
          buf.clear().limit((int) Math.min(buf.capacity(), end - pos));
          int n = in.read(buf, pos);
          if (n < 0) {
            return false;
          }
          buf.flip();
          md.update(buf);
          pos += n;
        }
        if (!Digests.hex(md.digest()).equals(task.meta().pieceDigests().get(piece))) {
          return false;
        }
      }
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /** A complete task; one whose TTL ran out is gone already (the sweep removes its files). */
  public Optional<StoredTask> get(String taskId) {
    StoredTask t = complete.get(taskId);
    if (t == null || t.meta().expiredAt(System.currentTimeMillis())) {
      return Optional.empty();
    }
    touch(taskId);
    return Optional.of(t);
  }

  /** Removes the tasks whose TTL ran out; their ids. */
  public List<String> dropExpired() {
    long now = System.currentTimeMillis();
    List<String> dropped = new ArrayList<>();
    for (StoredTask t : all()) {
      if (t.meta().expiredAt(now) && delete(t.meta().taskId())) {
        dropped.add(t.meta().taskId());
      }
    }
    if (!dropped.isEmpty()) {
      log.info("{} tasks expired (their TTL ran out) and were dropped", dropped.size());
    }
    return dropped;
  }

  /** Marks a task as just used: the garbage collector evicts the least recently used first. */
  public void touch(String taskId) {
    lastAccess.put(taskId, System.currentTimeMillis());
  }

  /** Told the id of every task the store evicts to make room (to leave it at the scheduler). */
  public void onEviction(java.util.function.Consumer<String> listener) {
    this.evictionListener = listener;
  }

  public Collection<StoredTask> all() {
    return List.copyOf(complete.values());
  }

  /**
   * A complete task, or a download in progress, whose verified bytes may be uploaded. One whose
   * TTL ran out is not, even before the sweep removes its files: it no longer exists.
   */
  public Optional<ServableTask> servable(String taskId) {
    long now = System.currentTimeMillis();
    StoredTask done = complete.get(taskId);
    if (done != null) {
      if (done.meta().expiredAt(now)) {
        return Optional.empty();
      }
      touch(taskId);
      return Optional.of(done);
    }
    PartialTask downloading = partial.get(taskId);
    return downloading == null || downloading.meta().expiredAt(now) ? Optional.empty()
        : Optional.of(downloading);
  }

  public Optional<PartialTask> partial(String taskId) {
    return Optional.ofNullable(partial.get(taskId));
  }

  public long usedBytes() {
    return complete.values().stream().mapToLong(StoredTask::contentLength).sum();
  }

  Path dirOf(String taskId) {
    return tasksDir.resolve(taskId.substring(0, 3)).resolve(taskId);
  }

  /** Copies the file at {@code source} into the store (tests, and callers already trusted). */
  public StoredTask importFile(TaskOrigin origin, Path source, Optional<ContentDigest> expected) {
    try (FileChannel in = FileChannel.open(source, StandardOpenOption.READ)) {
      return importFile(origin, in, source.toString(), expected);
    } catch (IOException e) {
      throw DfException.badRequest("cannot read " + source + ": " + e.getMessage());
    }
  }

  /**
   * Copies an open file into the store, computing piece digests (and the whole-content digest
   * when one is expected) from the copy as it is made. The cache gets a copy of its own, never a
   * link to the caller's inode, and the copy is made read-only. A task that is already complete
   * is returned as is.
   *
   * @throws DfException BadRequest when the content does not match {@code expected}, or the file
   *     changed while it was read; ResourceLacked when the disk is full
   */
  public StoredTask importFile(TaskOrigin origin, FileChannel source, String sourceName,
      Optional<ContentDigest> expected) {
    return importFile(origin, source, sourceName, expected, TransferProgress.NONE);
  }

  /** {@link #importFile(TaskOrigin, FileChannel, String, Optional)}, counted in progress. */
  public StoredTask importFile(TaskOrigin origin, FileChannel source, String sourceName,
      Optional<ContentDigest> expected, TransferProgress progress) {
    synchronized (lockFor(origin.taskId())) {
      StoredTask existing = complete.get(origin.taskId());
      if (existing != null) {
        progress.total(existing.contentLength());
        progress.add(existing.contentLength()); // nothing left to do
        return existing;
      }
      Path work = tmpDir.resolve(origin.taskId() + "-" + UUID.randomUUID());
      long size = sizeOf(source, sourceName);
      reserve(size);
      try {
        Files.createDirectories(work);
        TaskMeta meta = ImportCopy.copyAndDigest(origin, source, sourceName,
            work.resolve(StoredTask.DATA), expected, fsync, progress);
        return publish(meta, work);
      } catch (IOException e) {
        deleteQuietly(work);
        throw ioFailure("import " + sourceName, e);
      } catch (RuntimeException e) {
        deleteQuietly(work);
        throw e;
      } finally {
        release(size);
      }
    }
  }

  /** Starts a download into the tmp area; its verified pieces are servable at once. */
  public PartialTask beginDownload(TaskMeta meta) {
    return beginDownload(meta, null);
  }

  /**
   * A download whose whole content must hash to {@code expected} (null: no such check) before
   * {@link #complete} keeps it.
   */
  public PartialTask beginDownload(TaskMeta meta, ContentDigest expected) {
    synchronized (lockFor(meta.taskId())) {
      if (partial.containsKey(meta.taskId())) {
        throw new IllegalStateException("download of " + meta.taskId() + " already running");
      }
      Path work = tmpDir.resolve(meta.taskId() + "-" + UUID.randomUUID());
      reserve(meta.contentLength());
      try {
        Files.createDirectories(work);
        PartialTask task = new PartialTask(meta, work, expected);
        partial.put(meta.taskId(), task);
        return task;
      } catch (IOException e) {
        release(meta.contentLength());
        deleteQuietly(work);
        throw ioFailure("start download of " + meta.taskId(), e);
      }
    }
  }

  /**
   * Moves a fully verified download into the store; one whose content is not what the task's
   * digest names is dropped instead ({@link dev.dfcache.common.ContentMismatchException}), so a
   * wrong copy is never kept nor served.
   */
  public StoredTask complete(PartialTask task) {
    StoredTask stored;
    synchronized (lockFor(task.taskId())) {
      try {
        if (!task.isComplete()) {
          throw new IllegalStateException("download of " + task.taskId() + " is incomplete");
        }
        try {
          task.checkContent();
        } catch (dev.dfcache.common.ContentMismatchException e) {
          abort(task);
          throw e;
        }
        if (fsync) {
          task.force();
        }
        task.close();
        stored = publish(task.meta(), task.dir());
      } catch (IOException e) {
        abort(task);
        throw ioFailure("complete " + task.taskId(), e);
      }
    }
    // Outside the task's lock: the space lock is never taken while holding a task lock that an
    // eviction (space lock, then a task lock) could want.
    if (partial.remove(task.taskId(), task)) {
      release(task.contentLength());
    }
    return stored;
  }

  /** Drops a download and everything it wrote. */
  public void abort(PartialTask task) {
    if (partial.remove(task.taskId(), task)) {
      release(task.contentLength());
    }
    try {
      task.close();
    } catch (IOException ignored) {
      // the directory goes anyway
    }
    deleteQuietly(task.dir());
  }

  /** Writes meta.json atomically, then makes the task directory visible with one rename. */
  private StoredTask publish(TaskMeta meta, Path work) throws IOException {
    writeMetaAtomically(work, meta);
    // Immutable from here on: a hard link handed to a root caller's export shares this inode.
    Files.setPosixFilePermissions(work.resolve(StoredTask.DATA), READ_ONLY);
    Files.setPosixFilePermissions(work.resolve(StoredTask.META), READ_ONLY);
    Path dir = dirOf(meta.taskId());
    Files.createDirectories(dir.getParent());
    deleteQuietly(dir);
    Files.move(work, dir, StandardCopyOption.ATOMIC_MOVE);
    StoredTask stored = new StoredTask(meta, dir);
    complete.put(meta.taskId(), stored);
    touch(meta.taskId());
    return stored;
  }

  private void writeMetaAtomically(Path dir, TaskMeta meta) throws IOException {
    Path tmp = dir.resolve(StoredTask.META + ".tmp");
    try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE,
        StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
      ch.write(ByteBuffer.wrap(JSON.writeValueAsBytes(meta)));
      if (fsync) {
        ch.force(true);
      }
    }
    Files.move(tmp, dir.resolve(StoredTask.META), StandardCopyOption.ATOMIC_MOVE,
        StandardCopyOption.REPLACE_EXISTING);
  }

  /** Removes a task; true when there was one. The directory leaves the tree in one rename. */
  public boolean delete(String taskId) {
    synchronized (lockFor(taskId)) {
      StoredTask removed = complete.remove(taskId);
      lastAccess.remove(taskId);
      if (removed == null) {
        return false;
      }
      Path grave = tmpDir.resolve(taskId + "-deleted-" + UUID.randomUUID());
      try {
        Files.move(removed.dir(), grave, StandardCopyOption.ATOMIC_MOVE);
      } catch (IOException e) {
        grave = removed.dir();
      }
      deleteQuietly(grave);
      return true;
    }
  }

  /**
   * Puts a task's bytes into an export target (a temp file in the caller's directory, opened
   * with the caller's permissions checked; see CallerFiles) and publishes it under the output's
   * name without replacing anything. With {@code mayLink} (root callers) the output is a hard
   * link to the cache's read-only file where the filesystem allows it; everyone else gets a copy
   * of their own, so no caller ever holds a writable inode that peers download from.
   */
  public void exportTo(StoredTask task, ExportTarget target, boolean mayLink) {
    exportTo(task, target, mayLink, TransferProgress.NONE);
  }

  /**
   * {@link #exportTo(StoredTask, ExportTarget, boolean)}, the copy counted in {@code progress}
   * a chunk at a time (a link counts whole at once).
   */
  public void exportTo(StoredTask task, ExportTarget target, boolean mayLink,
      TransferProgress progress) {
    Pinned pin = pin(task.taskId());
    progress.total(task.contentLength());
    try {
      if (mayLink) {
        try {
          target.linkFrom(pin.path());
          progress.add(task.contentLength());
          return;
        } catch (IOException | UnsupportedOperationException e) {
          log.debug("hard link to {} not possible ({}), copying", target.path(), e.toString());
        }
      }
      try (FileChannel in = FileChannel.open(pin.path(), StandardOpenOption.READ)) {
        FileChannel out = target.channel();
        long size = in.size();
        for (long pos = 0; pos < size; ) {
          // in chunks, so that a watched copy moves; a chunk is still one copy_file_range
          long n = in.transferTo(pos, Math.min(size - pos, EXPORT_CHUNK), out);
          if (n <= 0) {
            throw new IOException("cache file ended early at " + pos + " of " + size);
          }
          pos += n;
          progress.add(n);
        }
      }
      target.commit();
    } catch (java.nio.file.NoSuchFileException e) {
      if (!pin.owned()) {
        throw new TaskVanishedException(task.taskId());
      }
      throw DfException.badRequest("output directory of " + target.path()
          + " disappeared during the export");
    } catch (IOException e) {
      throw ioFailure("export to " + target.path(), e);
    } finally {
      if (pin.owned()) {
        deleteQuietly(pin.path());
      }
    }
  }

  private static final long EXPORT_CHUNK = 16L << 20;

  /** The file an export reads: a link of our own (owned, deleted after), or the task's data. */
  private record Pinned(Path path, boolean owned) {}

  /**
   * A hard link to a complete task's data in the tmp area, made under the task's lock: from then
   * on a delete or an eviction cannot take the bytes away from an export, however long its copy
   * takes, and the delete itself never waits for it. A filesystem without hard links gets the
   * data file itself (a delete racing the export then fails it with TaskVanishedException).
   *
   * @throws TaskVanishedException when the task was deleted since the caller looked it up
   */
  private Pinned pin(String taskId) {
    synchronized (lockFor(taskId)) {
      StoredTask current = complete.get(taskId);
      if (current == null) {
        throw new TaskVanishedException(taskId);
      }
      Path pin = tmpDir.resolve(taskId + "-export-" + UUID.randomUUID());
      try {
        Files.createLink(pin, current.dataFile());
        return new Pinned(pin, true);
      } catch (IOException | UnsupportedOperationException e) {
        return new Pinned(current.dataFile(), false);
      }
    }
  }

  // ------------------------------------------------------------------ space: quota and GC

  private static long sizeOf(FileChannel source, String name) {
    try {
      return source.size();
    } catch (IOException e) {
      throw DfException.badRequest("cannot read size of " + name + ": " + e.getMessage());
    }
  }

  /**
   * Promises {@code bytes} to a new task, evicting least recently used tasks when the quota would
   * be exceeded.
   *
   * @throws DfException ResourceLacked when the task cannot fit even after eviction
   */
  void reserve(long bytes) {
    if (quota <= 0) {
      return;
    }
    synchronized (spaceLock) {
      if (bytes > quota) {
        throw new DfException(Code.ResourceLacked, "task of " + bytes
            + " bytes is larger than the store quota of " + quota + " bytes");
      }
      while (usedBytes() + reserved + bytes > quota) {
        if (evictLeastRecentlyUsed() == null) {
          throw new DfException(Code.ResourceLacked, "store quota of " + quota + " bytes is "
              + "full with tasks in use; " + bytes + " bytes more do not fit");
        }
      }
      reserved += bytes;
    }
  }

  void release(long bytes) {
    if (quota > 0) {
      synchronized (spaceLock) {
        reserved -= bytes;
      }
    }
  }

  /**
   * Evicts least recently used tasks while usage is above {@code high} (a fraction of the quota,
   * or of the filesystem without a quota), until it is below {@code low}.
   *
   * @return the ids evicted
   */
  public List<String> collectGarbage(double high, double low) {
    List<String> evicted = new ArrayList<>();
    synchronized (spaceLock) {
      if (usage() <= high) {
        return evicted;
      }
      while (usage() > low) {
        String id = evictLeastRecentlyUsed();
        if (id == null) {
          break;
        }
        evicted.add(id);
      }
    }
    if (!evicted.isEmpty()) {
      log.info("garbage collection evicted {} tasks", evicted.size());
    }
    return evicted;
  }

  /** What {@link #freeBytes} said when last asked (-1 = never asked). */
  private volatile long lastFreeBytes = -1;

  /** The room left as last measured: never blocks (heartbeats send it). */
  public long lastFreeBytes() {
    return lastFreeBytes;
  }

  /**
   * Bytes the store can still take: what is left of the quota, or usable on the filesystem when
   * there is none (a statfs: call it off actor threads). Remembered for {@link #lastFreeBytes}.
   */
  public long freeBytes() {
    long free = measureFreeBytes();
    lastFreeBytes = free;
    return free;
  }

  private long measureFreeBytes() {
    if (quota > 0) {
      synchronized (spaceLock) {
        return Math.max(0, quota - usedBytes() - reserved);
      }
    }
    try {
      return Files.getFileStore(tasksDir).getUsableSpace();
    } catch (IOException e) {
      return 0;
    }
  }

  /** Used fraction: of the quota, or of the filesystem when there is none. */
  public double usage() {
    if (quota > 0) {
      return (usedBytes() + reserved) / (double) quota;
    }
    try {
      java.nio.file.FileStore fs = Files.getFileStore(tasksDir);
      return 1.0 - fs.getUsableSpace() / (double) fs.getTotalSpace();
    } catch (IOException e) {
      return 0;
    }
  }

  /**
   * Removes the least recently used complete task. Safe while it is being read: uploads and
   * exports already under way keep their open file or link; new requests for it get "not here".
   */
  private String evictLeastRecentlyUsed() {
    String victim = EvictionOrder.next(complete.keySet(), lastAccess,
        id -> complete.containsKey(id) && complete.get(id).meta().isReplica());
    long oldest = victim == null ? 0 : lastAccess.getOrDefault(victim, 0L);
    if (victim != null && delete(victim)) {
      log.info("evicted task {} (last used {} ms ago)", victim, System.currentTimeMillis() - oldest);
      evictionListener.accept(victim);
      return victim;
    }
    return null;
  }

  private Object lockFor(String taskId) {
    return taskLocks.computeIfAbsent(taskId, k -> new Object());
  }

  /** Disk full is ResourceLacked (API.md); any other I/O failure is UnknownError. */
  public static DfException ioFailure(String what, IOException e) {
    String text = String.valueOf(e.getMessage());
    if (text.contains("No space left") || text.contains("Disk quota exceeded")) {
      return new DfException(Code.ResourceLacked, what + ": no space left on device", e);
    }
    return new DfException(Code.UnknownError, what + ": " + e, e);
  }

  static void deleteQuietly(Path p) {
    try {
      deleteRecursively(p);
    } catch (IOException | UncheckedIOException e) {
      log.warn("could not delete {}: {}", p, e.toString());
    }
  }

  private static void deleteRecursively(Path p) throws IOException {
    if (!Files.exists(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(p)) {
      for (Path f : (Iterable<Path>) walk.sorted(Comparator.reverseOrder())::iterator) {
        Files.deleteIfExists(f);
      }
    }
  }
}
