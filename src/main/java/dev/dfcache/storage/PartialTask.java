package dev.dfcache.storage;

import dev.dfcache.api.common.Code;
import dev.dfcache.common.ContentDigest;
import dev.dfcache.common.ContentMismatchException;
import dev.dfcache.common.DfException;
import dev.dfcache.common.Digests;
import dev.dfcache.common.PieceLayout;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;

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
  /** Completed (and replaced) at every verified piece, and when the task closes. Guarded by verified. */
  private java.util.concurrent.CompletableFuture<Void> changed =
      new java.util.concurrent.CompletableFuture<>();

  /** The whole content's digest as pieces land; null when the task names no digest. */
  private final ContentHasher content;

  PartialTask(TaskMeta meta, Path dir) throws IOException {
    this(meta, dir, null);
  }

  /** {@code expected}: the digest the task's id names its content by (null: none). */
  PartialTask(TaskMeta meta, Path dir, ContentDigest expected) throws IOException {
    this.meta = meta;
    this.dir = dir;
    this.layout = meta.layout();
    this.content = expected == null ? null : new ContentHasher(expected, layout);
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
    IncomingPiece incoming = receive(piece);
    for (ByteBuffer b : buffers) {
      incoming.add(b);
    }
    if (incoming.size != size) {
      throw new IllegalArgumentException("buffers hold " + incoming.size + " bytes, not " + size);
    }
    commit(incoming);
  }

  /** Starts receiving a piece: its chunks are hashed as they arrive, see {@link IncomingPiece}. */
  public IncomingPiece receive(int piece) {
    if (piece < 0 || piece >= meta.pieceCount()) {
      throw DfException.badRequest("piece " + piece + " out of range");
    }
    return IncomingPiece.expecting(piece, layout.sizeOf(piece));
  }

  /**
   * Writes a received piece at its offset if its size and digest match the piece list, and only
   * then marks it verified (servable). Blocking: call it on the I/O dispatcher.
   *
   * @throws DfException ClientPieceDownloadFail when they do not (nothing is written)
   */
  public void commit(IncomingPiece incoming) throws IOException {
    int piece = incoming.piece;
    if (piece < 0 || piece >= meta.pieceCount() || incoming.expectedSize != layout.sizeOf(piece)) {
      throw new IllegalArgumentException("piece " + piece + " of " + incoming.expectedSize
          + " bytes is not a piece of task " + meta.taskId());
    }
    if (incoming.size != incoming.expectedSize) {
      throw new DfException(Code.ClientPieceDownloadFail,
          "piece " + piece + " has " + incoming.size + " bytes, expected " + incoming.expectedSize);
    }
    String actual = incoming.digestHex();
    if (!actual.equals(meta.pieceDigests().get(piece))) {
      throw new dev.dfcache.common.CorruptPieceException("piece " + piece + " digest mismatch");
    }
    long pos = layout.offsetOf(piece);
    for (ByteBuffer b : incoming.chunks) {
      ByteBuffer src = b.duplicate();
      while (src.hasRemaining()) {
        pos += channel.write(src, pos);
      }
    }
    java.util.concurrent.CompletableFuture<Void> waiters;
    synchronized (verified) {
      verified.set(piece);
      waiters = changed;
      changed = new java.util.concurrent.CompletableFuture<>();
    }
    waiters.complete(null);
    if (content != null) {
      content.landed(piece, incoming.chunks, this::hasPiece, channel);
    }
  }

  /**
   * Checks the whole content against the digest the task's id names (a no-op for a task that
   * names none). Blocking: hashes what the pieces' arrival order left to hash.
   *
   * @throws ContentMismatchException when the bytes are other than the digest names
   */
  void checkContent() throws IOException {
    if (content != null && !content.matches(channel)) {
      throw new ContentMismatchException("the downloaded bytes of task " + meta.taskId()
          + " are not " + content.expected() + ": every piece matched the piece list it was "
          + "announced with, so that list names other content");
    }
  }

  /**
   * Completes when another piece is verified or the task is closed (complete or aborted): for
   * streams that tell other peers about pieces as they arrive (SyncPieceTasks).
   */
  public java.util.concurrent.CompletionStage<Void> nextChange() {
    synchronized (verified) {
      return changed;
    }
  }

  /**
   * A piece on its way in. Each chunk is hashed when it arrives (plain CPU work, fine on a stream
   * thread), so that when the last one is in only the write is left, and a piece that grows
   * past its size is refused at once rather than buffered. Not thread-safe: one stream feeds it.
   */
  public static final class IncomingPiece {
    private final int piece;
    private final long expectedSize;
    private final MessageDigest digest = Digests.sha256();
    private final List<ByteBuffer> chunks = new ArrayList<>();
    private long size;
    private String digestHex;

    private IncomingPiece(int piece, long expectedSize) {
      this.piece = piece;
      this.expectedSize = expectedSize;
    }

    /** A piece of this size, received before its task's piece list is known. */
    public static IncomingPiece expecting(int piece, long size) {
      return new IncomingPiece(piece, size);
    }

    /** Hashes and keeps a chunk; the buffer must not change afterwards. */
    public void add(ByteBuffer chunk) {
      size += chunk.remaining();
      if (size > expectedSize) {
        throw new DfException(Code.ClientPieceDownloadFail,
            "piece " + piece + " is longer than its " + expectedSize + " bytes");
      }
      if (digestHex != null) {
        throw new IllegalStateException("piece " + piece + " is complete");
      }
      chunks.add(chunk);
      digest.update(chunk.duplicate());
    }

    /** The SHA-256 of what arrived; no chunk may be added after this. */
    public String digestHex() {
      if (digestHex == null) {
        digestHex = Digests.hex(digest.digest());
      }
      return digestHex;
    }

    public int piece() {
      return piece;
    }

    public long expectedSize() {
      return expectedSize;
    }

    public long size() {
      return size;
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
    try {
      channel.close();
    } finally {
      nextChange().toCompletableFuture().complete(null);
    }
  }
}
