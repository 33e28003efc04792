package dev.dfcache.common;

/**
 * How a task is cut into pieces (API.md "Piece size"): 4 MiB up to 200 MiB; larger files get the
 * next power of two of size/500, between 4 and 64 MiB, so a task never has more than ~500 pieces
 * beyond that point and a piece list stays small.
 */
public record PieceLayout(long contentLength, long pieceSize) {
  public static final long MIB = 1024 * 1024;
  public static final long MIN_PIECE = 4 * MIB;
  public static final long MAX_PIECE = 64 * MIB;
  static final long SMALL_TASK_LIMIT = 200 * MIB;

  public static PieceLayout forLength(long contentLength) {
    return new PieceLayout(contentLength, pieceSizeFor(contentLength));
  }

  public static long pieceSizeFor(long contentLength) {
    if (contentLength <= SMALL_TASK_LIMIT) {
      return MIN_PIECE;
    }
    long target = Long.highestOneBit(contentLength / 500);
    if (target < contentLength / 500) {
      target <<= 1;
    }
    return Math.max(MIN_PIECE, Math.min(MAX_PIECE, target));
  }

  public int pieceCount() {
    return (int) ((contentLength + pieceSize - 1) / pieceSize);
  }

  public long offsetOf(int piece) {
    return piece * pieceSize;
  }

  public int sizeOf(int piece) {
    return (int) Math.min(pieceSize, contentLength - offsetOf(piece));
  }
}
