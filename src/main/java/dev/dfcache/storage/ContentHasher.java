package dev.dfcache.storage;

import dev.dfcache.common.ContentDigest;
import dev.dfcache.common.Digests;
import dev.dfcache.common.PieceLayout;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;
import java.util.function.IntPredicate;

/**
 * The whole-content digest of a download, computed as its pieces land: pieces that arrive in
 * order are hashed from the bytes in hand; a piece that lands after a gap waits, and when the gap
 * closes the pieces behind it are read back from the data file (just written: from the page
 * cache, mostly). {@link #finish} hashes whatever is left, so a download that came in any order
 * pays at most one read of the pieces that overtook the gap.
 *
 * <p>Thread-safe: pieces of one download are committed from several I/O threads.
 */
final class ContentHasher {
  private final ContentDigest expected;
  private final MessageDigest digest;
  private final PieceLayout layout;
  /** The first piece not hashed yet. */
  private int next;
  private String result;

  ContentHasher(ContentDigest expected, PieceLayout layout) {
    this.expected = expected;
    this.layout = layout;
    try {
      this.digest = MessageDigest.getInstance(expected.javaAlgorithm());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  ContentDigest expected() {
    return expected;
  }

  /**
   * Piece {@code piece} was verified and written, its bytes in {@code chunks}; {@code verified}
   * tells which pieces are in the file. Blocking (may read pieces back).
   */
  synchronized void landed(int piece, List<ByteBuffer> chunks, IntPredicate verified,
      FileChannel data) throws IOException {
    if (result != null || piece != next) {
      catchUp(verified, data); // a gap may have closed before this piece's commit got here
      return;
    }
    for (ByteBuffer b : chunks) {
      digest.update(b.duplicate());
    }
    next++;
    catchUp(verified, data);
  }

  /** Hashes every verified piece from the file, from the first not hashed yet. */
  private void catchUp(IntPredicate verified, FileChannel data) throws IOException {
    while (result == null && next < layout.pieceCount() && verified.test(next)) {
      hashFromFile(next, data);
      next++;
    }
  }

  /** The hex digest of the whole content: every piece must be in the file. Blocking. */
  synchronized String finish(FileChannel data) throws IOException {
    if (result == null) {
      while (next < layout.pieceCount()) {
        hashFromFile(next, data);
        next++;
      }
      result = Digests.hex(digest.digest());
    }
    return result;
  }

  /** Whether the content is what the digest names. */
  boolean matches(FileChannel data) throws IOException {
    return finish(data).equals(expected.hex());
  }

  private void hashFromFile(int piece, FileChannel data) throws IOException {
    long pos = layout.offsetOf(piece);
    long end = pos + layout.sizeOf(piece);
    ByteBuffer buf = ByteBuffer.allocate((int) Math.min(1 << 16, Math.max(1, end - pos)));
    while (pos < end) {
      buf.clear().limit((int) Math.min(buf.capacity(), end - pos));
      int n = data.read(buf, pos);
      if (n < 0) {
        throw new IOException("data file ends before piece " + piece + " does");
      }
      buf.flip();
      digest.update(buf);
      pos += n;
    }
  }
}
