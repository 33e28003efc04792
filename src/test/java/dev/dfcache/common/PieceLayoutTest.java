package dev.dfcache.common;

import static dev.dfcache.common.PieceLayout.MIB;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class PieceLayoutTest {
  @Test
  void fourMibUpTo200Mib() {
    assertEquals(4 * MIB, PieceLayout.pieceSizeFor(0));
    assertEquals(4 * MIB, PieceLayout.pieceSizeFor(1));
    assertEquals(4 * MIB, PieceLayout.pieceSizeFor(200 * MIB));
    assertEquals(4 * MIB, PieceLayout.pieceSizeFor(1024 * MIB));
  }

  @Test
  void largerFilesGetNextPowerOfTwoOfSizeOver500Capped() {
    assertEquals(32 * MIB, PieceLayout.pieceSizeFor(10L * 1024 * MIB));
    assertEquals(64 * MIB, PieceLayout.pieceSizeFor(1024L * 1024 * MIB));
  }

  @Test
  void piecesCoverTheContentExactly() {
    PieceLayout l = PieceLayout.forLength(4 * MIB + 1);
    assertEquals(2, l.pieceCount());
    assertEquals(4 * MIB, l.sizeOf(0));
    assertEquals(1, l.sizeOf(1));
    assertEquals(4 * MIB, l.offsetOf(1));
    assertEquals(0, PieceLayout.forLength(0).pieceCount());
    assertEquals(1, PieceLayout.forLength(4 * MIB).pieceCount());
    assertEquals(1, PieceLayout.forLength(4 * MIB - 1).pieceCount());
  }
}
