package dev.dfcache.common;

/**
 * The piece numbers Dragonfly v1 uses on a ReportPieceResult stream for what is not a piece: the
 * first message of a download ("begin of piece") and the last one ("end of piece").
 */
public final class PieceMarks {
  public static final int BEGIN_OF_PIECE = -1;
  public static final int END_OF_PIECE = 1 << 30;

  private PieceMarks() {}
}
