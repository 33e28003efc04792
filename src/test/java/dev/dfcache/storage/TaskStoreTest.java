package dev.dfcache.storage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dfcache.api.common.Code;
import dev.dfcache.common.ContentDigest;
import dev.dfcache.common.DfException;
import dev.dfcache.common.Digests;
import dev.dfcache.common.PieceLayout;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TaskStoreTest {
  @TempDir Path tmp;

  static final String ID = "a".repeat(64);

  static TaskOrigin origin(String id) {
    return new TaskOrigin(id, "d7y:/x", "", "", 1);
  }

  Path file(String name, int size) throws IOException {
    byte[] data = new byte[size];
    new Random(size).nextBytes(data);
    return Files.write(tmp.resolve(name), data);
  }

  @Test
  void importCopiesAndDigestsEveryPiece() throws IOException {
    TaskStore store = TaskStore.open(tmp.resolve("store"));
    int piece = (int) (4 * PieceLayout.MIB);
    Path src = file("src", 2 * piece + 1);
    StoredTask t = store.importFile(origin(ID), src, Optional.empty());
    byte[] all = Files.readAllBytes(src);
    assertArrayEquals(all, Files.readAllBytes(t.dataFile()));
    assertEquals(3, t.meta().pieceCount());
    for (int i = 0; i < 3; i++) {
      byte[] slice = java.util.Arrays.copyOfRange(all, i * piece, Math.min(all.length,
          (i + 1) * piece));
      assertEquals(Digests.sha256Hex(slice), t.meta().pieceDigests().get(i), "piece " + i);
    }
    assertEquals(Digests.pieceListSign(t.meta().pieceDigests()), t.meta().pieceListSign());
    assertEquals(tmp.resolve("store/tasks/aaa/" + ID), t.dir());
    assertTrue(Files.exists(t.dir().resolve("meta.json")));
  }

  @Test
  void emptyFileIsATaskWithNoPieces() throws IOException {
    TaskStore store = TaskStore.open(tmp.resolve("store"));
    StoredTask t = store.importFile(origin(ID), file("empty", 0), Optional.empty());
    assertEquals(0, t.meta().pieceCount());
    assertEquals(0, Files.size(t.dataFile()));
  }

  @Test
  void contentDigestIsVerifiedAndAMismatchLeavesNothing() throws IOException {
    TaskStore store = TaskStore.open(tmp.resolve("store"));
    // several pieces, so the whole-content digest has to see them in order
    Path src = file("src", (int) (9 * PieceLayout.MIB) + 17);
    String good = "sha256:" + Digests.sha256Hex(Files.readAllBytes(src));
    DfException e = assertThrows(DfException.class, () -> store.importFile(origin(ID), src,
        ContentDigest.parse("sha256:" + "0".repeat(64))));
    assertEquals(Code.BadRequest, e.code());
    assertTrue(store.get(ID).isEmpty());
    assertEquals(0, countFiles(tmp.resolve("store")));
    store.importFile(origin(ID), src, ContentDigest.parse(good));
    assertTrue(store.get(ID).isPresent());
  }

  @Test
  void aRestartFindsTasksAgainAndDropsHalfWrittenOnes() throws IOException {
    Path dir = tmp.resolve("store");
    TaskStore store = TaskStore.open(dir);
    store.importFile(origin(ID), file("src", 5000), Optional.empty());
    // Leftovers of a crash: a download in tmp, and a task dir whose data is short.
    Files.createDirectories(dir.resolve("tmp/" + "b".repeat(64) + "-x"));
    Files.write(dir.resolve("tmp/" + "b".repeat(64) + "-x/data"), new byte[10]);
    String other = "c".repeat(64);
    store.importFile(origin(other), file("src2", 5000), Optional.empty());
    Files.write(dir.resolve("tasks/ccc/" + other + "/data"), new byte[10]);

    TaskStore reopened = TaskStore.open(dir);
    assertTrue(reopened.get(ID).isPresent());
    assertTrue(reopened.get(other).isEmpty(), "a task whose data does not match is dropped");
    assertFalse(Files.exists(dir.resolve("tasks/ccc/" + other)));
    assertEquals(0, countFiles(dir.resolve("tmp")));
  }

  @Test
  void downloadsAcceptOnlyVerifiedPiecesAndServeThemAtOnce() throws IOException {
    TaskStore store = TaskStore.open(tmp.resolve("store"));
    byte[] content = Files.readAllBytes(file("src", (int) (4 * PieceLayout.MIB + 10)));
    PieceLayout layout = PieceLayout.forLength(content.length);
    List<String> digests = List.of(
        Digests.sha256Hex(java.util.Arrays.copyOfRange(content, 0, (int) layout.pieceSize())),
        Digests.sha256Hex(java.util.Arrays.copyOfRange(content, (int) layout.pieceSize(), content.length)));
    PartialTask p = store.beginDownload(TaskMeta.complete(origin(ID), layout, digests));
    byte[] tail = java.util.Arrays.copyOfRange(content, (int) layout.pieceSize(), content.length);
    byte[] corrupt = tail.clone();
    corrupt[3] ^= 1;
    assertThrows(DfException.class, () -> p.writePiece(1, List.of(ByteBuffer.wrap(corrupt)), corrupt.length));
    assertFalse(p.hasPiece(1));
    p.writePiece(1, List.of(ByteBuffer.wrap(tail)), tail.length);
    assertTrue(p.hasRange(layout.pieceSize(), content.length));
    assertFalse(p.hasRange(0, 10));
    assertTrue(store.servable(ID).isPresent());
    p.writePiece(0, List.of(ByteBuffer.wrap(content, 0, (int) layout.pieceSize())), layout.pieceSize());
    StoredTask t = store.complete(p);
    assertArrayEquals(content, Files.readAllBytes(t.dataFile()));
  }

  @Test
  void aTaskWhoseTtlRanOutIsNeverServedEvenBeforeTheSweep() throws IOException {
    TaskStore store = TaskStore.open(tmp.resolve("store"));
    long later = System.currentTimeMillis() + 3_600_000;
    String alive = "d".repeat(64);
    store.importFile(origin(alive).withLifetime(later, 1), file("alive", 5000), Optional.empty());
    // expired the moment it was stored (epoch + 1 ms): its files stay until the sweep
    StoredTask expired = store.importFile(origin(ID).withLifetime(1, 1), file("old", 5000),
        Optional.empty());
    assertTrue(store.servable(alive).isPresent());
    assertTrue(store.get(alive).isPresent());
    assertTrue(Files.exists(expired.dataFile()), "not swept yet");
    assertTrue(store.servable(ID).isEmpty(), "no piece of it is uploaded");
    assertTrue(store.get(ID).isEmpty(), "no stat or export of it");
    // a download of a task that expired meanwhile serves nothing either
    String downloading = "e".repeat(64);
    PartialTask p = store.beginDownload(TaskMeta.complete(origin(downloading).withLifetime(1, 1),
        PieceLayout.forLength(10), List.of(Digests.sha256Hex(new byte[10]))));
    p.writePiece(0, List.of(ByteBuffer.wrap(new byte[10])), 10);
    assertTrue(store.servable(downloading).isEmpty());
    assertEquals(List.of(ID), store.dropExpired());
    assertFalse(Files.exists(expired.dataFile()));
    assertTrue(store.servable(alive).isPresent());
  }

  /**
   * Pieces that each match the piece list but together are not the content the task's digest
   * names: the download is dropped at completion, never kept nor servable; the right content is
   * kept whatever order its pieces came in.
   */
  @Test
  void aDownloadIsKeptOnlyWhenItsWholeContentHashesToTheTasksDigest() throws IOException {
    TaskStore store = TaskStore.open(tmp.resolve("store"));
    int pieceSize = (int) PieceLayout.MIB;
    byte[] content = Files.readAllBytes(file("src", 5 * pieceSize + 17));
    PieceLayout layout = new PieceLayout(content.length, pieceSize);
    List<String> digests = new java.util.ArrayList<>();
    for (int i = 0; i < layout.pieceCount(); i++) {
      digests.add(Digests.sha256Hex(java.util.Arrays.copyOfRange(content,
          (int) layout.offsetOf(i), (int) layout.offsetOf(i) + layout.sizeOf(i))));
    }
    dev.dfcache.common.ContentDigest right = new dev.dfcache.common.ContentDigest("sha256",
        Digests.sha256Hex(content));
    dev.dfcache.common.ContentDigest wrong = new dev.dfcache.common.ContentDigest("sha256",
        Digests.sha256Hex("other".getBytes()));
    int[][] orders = {{0, 1, 2, 3, 4, 5}, {5, 3, 1, 0, 2, 4}, {1, 2, 3, 4, 5, 0}};
    for (int[] order : orders) {
      PartialTask bad = store.beginDownload(TaskMeta.complete(origin(ID), layout, digests), wrong);
      writeAll(bad, content, layout, order);
      assertThrows(dev.dfcache.common.ContentMismatchException.class, () -> store.complete(bad));
      assertTrue(store.get(ID).isEmpty());
      assertTrue(store.servable(ID).isEmpty(), "a wrong copy is not served");
      assertEquals(0, countFiles(tmp.resolve("store/tmp")));

      PartialTask good = store.beginDownload(TaskMeta.complete(origin(ID), layout, digests), right);
      writeAll(good, content, layout, order);
      StoredTask t = store.complete(good);
      assertArrayEquals(content, Files.readAllBytes(t.dataFile()));
      store.delete(ID);
    }
  }

  private static void writeAll(PartialTask p, byte[] content, PieceLayout layout, int[] order)
      throws IOException {
    for (int i : order) {
      p.writePiece(i, List.of(ByteBuffer.wrap(content, (int) layout.offsetOf(i),
          layout.sizeOf(i))), layout.sizeOf(i));
    }
  }

  static final dev.dfcache.access.Caller ROOT =
      new dev.dfcache.access.Caller(0, 0, java.util.Set.of(0), 1);

  static void export(TaskStore store, StoredTask t, Path out, boolean mayLink) {
    try (dev.dfcache.access.ExportTarget target =
             dev.dfcache.access.CallerFiles.createOutput(ROOT, out.toString())) {
      store.exportTo(t, target, mayLink);
    }
  }

  @Test
  void anExportThatMayNotLinkIsACopyOfItsOwn() throws IOException {
    TaskStore store = TaskStore.open(tmp.resolve("store"));
    StoredTask t = store.importFile(origin(ID), file("src", 3000), Optional.empty());
    Path out = tmp.resolve("copy");
    export(store, t, out, false);
    assertArrayEquals(Files.readAllBytes(t.dataFile()), Files.readAllBytes(out));
    assertNotEquals(Files.getAttribute(t.dataFile(), "unix:ino"),
        Files.getAttribute(out, "unix:ino"));
    Files.writeString(out, "changed");
    assertEquals(3000, Files.size(t.dataFile()));
  }

  @Test
  void exportOfATaskDeletedAfterItsLookupSaysItVanished() throws IOException {
    TaskStore store = TaskStore.open(tmp.resolve("store"));
    StoredTask t = store.importFile(origin(ID), file("src", 3000), Optional.empty());
    store.delete(ID);
    assertThrows(TaskVanishedException.class, () -> export(store, t, tmp.resolve("out"), true));
    assertFalse(Files.exists(tmp.resolve("out")));
  }

  @Test
  void exportLinksWithoutClobbering() throws IOException {
    TaskStore store = TaskStore.open(tmp.resolve("store"));
    StoredTask t = store.importFile(origin(ID), file("src", 3000), Optional.empty());
    Path out = tmp.resolve("out");
    export(store, t, out, true);
    assertArrayEquals(Files.readAllBytes(t.dataFile()), Files.readAllBytes(out));
    // a root caller gets the cache's read-only inode itself
    assertEquals(Files.getAttribute(t.dataFile(), "unix:ino"), Files.getAttribute(out, "unix:ino"));
    assertEquals("r--r--r--", java.nio.file.attribute.PosixFilePermissions.toString(
        Files.getPosixFilePermissions(out)));
    DfException e = assertThrows(DfException.class, () -> export(store, t, out, true));
    assertEquals(Code.BadRequest, e.code());
    try (Stream<Path> s = Files.list(tmp)) {
      assertTrue(s.noneMatch(f -> f.getFileName().toString().contains(".dfcache-")),
          "no temp file left behind");
    }
  }

  @Test
  void deleteRemovesTheTaskAndMissingIsFine() throws IOException {
    TaskStore store = TaskStore.open(tmp.resolve("store"));
    store.importFile(origin(ID), file("src", 3000), Optional.empty());
    assertTrue(store.delete(ID));
    assertFalse(store.delete(ID));
    assertTrue(TaskStore.open(tmp.resolve("store")).get(ID).isEmpty());
  }

  @Test
  void theScrubRemovesATaskWhoseBytesChanged() throws IOException {
    TaskStore store = TaskStore.open(tmp.resolve("store"));
    StoredTask good = store.importFile(origin(ID), file("src", 9000), Optional.empty());
    String other = "e".repeat(64);
    StoredTask bad = store.importFile(origin(other), file("src2", 9000), Optional.empty());
    byte[] data = Files.readAllBytes(bad.dataFile());
    data[4500] ^= 0x40;
    Files.write(bad.dataFile(), data);
    assertEquals(List.of(other), store.verifyAll());
    assertTrue(store.get(ID).isPresent());
    assertTrue(store.get(other).isEmpty());
    assertTrue(Files.exists(good.dataFile()));
    assertFalse(Files.exists(bad.dir()));
  }

  @Test
  void aQuotaEvictsTheLeastRecentlyUsedAndRefusesWhatCannotFit() throws Exception {
    TaskStore store = TaskStore.open(tmp.resolve("store"), false, 10_000);
    List<String> evicted = new java.util.ArrayList<>();
    store.onEviction(evicted::add);
    String t1 = "1".repeat(64);
    String t2 = "2".repeat(64);
    String t3 = "3".repeat(64);
    store.importFile(origin(t1), file("f1", 4000), Optional.empty());
    Thread.sleep(5);
    store.importFile(origin(t2), file("f2", 4000), Optional.empty());
    Thread.sleep(5);
    store.get(t1); // t1 is used again: t2 is now the least recently used
    store.importFile(origin(t3), file("f3", 4000), Optional.empty());
    assertEquals(List.of(t2), evicted);
    assertTrue(store.get(t1).isPresent() && store.get(t3).isPresent());

    DfException e = assertThrows(DfException.class,
        () -> store.importFile(origin("4".repeat(64)), file("f4", 10_001), Optional.empty()));
    assertEquals(Code.ResourceLacked, e.code());
    assertEquals(0, countFiles(tmp.resolve("store/tmp")), "nothing partial is left");
  }

  @Test
  void garbageCollectionRunsFromTheHighToTheLowWatermark() throws Exception {
    TaskStore store = TaskStore.open(tmp.resolve("store"), false, 10_000);
    for (int i = 1; i <= 4; i++) {
      store.importFile(origin(Integer.toString(i).repeat(64)), file("g" + i, 2000), Optional.empty());
      Thread.sleep(5);
    }
    assertEquals(List.of(), store.collectGarbage(0.9, 0.5), "80% used is under the high mark");
    assertEquals(List.of("1".repeat(64), "2".repeat(64)), store.collectGarbage(0.7, 0.5));
    assertEquals(0.4, store.usage(), 1e-9);
  }

  static long countFiles(Path dir) throws IOException {
    try (Stream<Path> s = Files.walk(dir)) {
      return s.filter(Files::isRegularFile).count();
    }
  }
}
