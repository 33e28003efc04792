package dev.dfcache.storage;

import dev.dfcache.api.common.Code;
import dev.dfcache.common.DfException;
import dev.dfcache.common.Digests;
import dev.dfcache.common.PieceLayout;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.BitSet;

/**
 * A task being downloaded: a data file in the store's tmp area that pieces are written into at
 * their offsets, each only after its SHA-256 matched. Verified pieces can be uploaded to other
 * peers while the download goes on.
 */
public final class PartialTask implements ServableTask, AutoCloseable {
  private final TaskMeta meta;
  private final Path dir;
  private final FileChannel channel;
  private final BitSet verified;
  private final PieceLayout layout;

  PartialTask(TaskMeta meta, Path dir) throws IOException {
    this.meta = meta;
    this.dir = dir;
    this.layout = meta.layout();
    this.verified = new BitSet(meta.pieceCount());
    this.channel = FileChannel.open(dir.resolve(StoredTask.DATA), StandardOpenOption.CREATE_NEW,
        StandardOpenOption.WRITE, StandardOpenOption.READ);
  }

  public TaskMeta meta() {
    return meta;
  }

  Path dir() {
    return dir;
  }

  @Override
  public String taskId() {
    return meta.taskId();
  }

  @Override
  public Path dataFile() {
    return dir.resolve(StoredTask.DATA);
  }

  @Override
  public long contentLength() {
    return meta.contentLength();
  }

  /**
   * Verifies a piece's bytes against its digest and writes them at the piece's offset. Blocking:
   * call it on the I/O dispatcher.
   *
   * @throws DfException ClientPieceDownloadFail when the bytes do not match (nothing is written)
   */
  public void writePiece(int piece, Iterable<ByteBuffer> buffers, long size) throws IOException {
    if (piece < 0 || piece >= meta.pieceCount()) {
      throw DfException.badRequest("piece " + piece + " out of range");
    }
    if (size != layout.sizeOf(piece)) {
      throw new DfException(Code.ClientPieceDownloadFail,
          "piece " + piece + " has " + size + " bytes, expected " + layout.sizeOf(piece));
    }
    MessageDigest md = Digests.sha256();
    for (ByteBuffer b : buffers) {
      md.update(b.duplicate());
    }
    String actual = Digests.hex(md.digest());
    if (!actual.equals(meta.pieceDigests().get(piece))) {
      throw new DfException(Code.ClientPieceDownloadFail, "piece " + piece + " digest mismatch");
    }
    long pos = layout.offsetOf(piece);
    for (ByteBuffer b : buffers) {
      ByteBuffer src = b.duplicate();
      while (src.hasRemaining()) {
        pos += channel.write(src, pos);
      }
    }
    synchronized (verified) {
      verified.set(piece);
    }
  }

  public boolean hasPiece(int piece) {
    synchronized (verified) {
      return verified.get(piece);
    }
  }

  public BitSet verifiedPieces() {
    synchronized (verified) {
      return (BitSet) verified.clone();
    }
  }

  public boolean isComplete() {
    synchronized (verified) {
      return verified.cardinality() == meta.pieceCount();
    }
  }

  @Override
  public boolean hasRange(long start, long endExclusive) {
    if (start < 0 || start > endExclusive || endExclusive > meta.contentLength()) {
      return false;
    }
    if (start == endExclusive) {
      return true;
    }
    int first = (int) (start / layout.pieceSize());
    int last = (int) ((endExclusive - 1) / layout.pieceSize());
    synchronized (verified) {
      int clear = verified.nextClearBit(first);
      return clear > last;
    }
  }

  void force() throws IOException {
    channel.force(false);
  }

  @Override
  public void close() throws IOException {
    channel.close();
  }
}
