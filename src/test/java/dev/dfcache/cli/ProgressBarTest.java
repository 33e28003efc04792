package dev.dfcache.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** What the progress line says, and how it fits the terminal. */
class ProgressBarTest {
  static final long MIB = 1 << 20;
  static final long SECOND = 1_000_000_000L;

  @Test
  void sizesPercentBarRateEtaAndPeers() {
    ProgressBar bar = new ProgressBar(100, 0);
    String line = bar.line(48 * MIB, 128 * MIB, 2, 3 * SECOND);
    assertEquals("   48.0 MiB / 128.0 MiB   37%  [==========>                 ]"
        + "   16.0 MiB/s  ETA 5s  from 2 peers", line);
    assertTrue(line.length() < 100, line);
  }

  @Test
  void onePeerIsSingularAndNoPeersSayNothing() {
    assertTrue(new ProgressBar(80, 0).line(MIB, 4 * MIB, 1, SECOND).endsWith("from 1 peer"));
    assertFalse(new ProgressBar(80, 0).line(MIB, 4 * MIB, 0, SECOND).contains("from"));
  }

  @Test
  void anUnknownTotalShowsBytesAndRateOnly() {
    String line = new ProgressBar(80, 0).line(3 * MIB, 0, 1, 2 * SECOND);
    assertEquals("  3.0 MiB  1.5 MiB/s  from 1 peer", line);
  }

  @Test
  void noRateYetMeansNoEta() {
    String line = new ProgressBar(80, 0).line(0, 64 * MIB, 0, SECOND);
    assertTrue(line.contains("0 B/s  ETA --"), line);
    assertTrue(line.contains("  0%  [>"), line);
  }

  @Test
  void theRateIsOverTheLastSecondsNotSinceTheStart() {
    ProgressBar bar = new ProgressBar(120, 0);
    bar.line(0, 100 * MIB, 1, 10 * SECOND); // waited 10 s for parents
    bar.line(10 * MIB, 100 * MIB, 1, 11 * SECOND);
    bar.line(20 * MIB, 100 * MIB, 1, 12 * SECOND);
    bar.line(30 * MIB, 100 * MIB, 1, 13 * SECOND);
    String line = bar.line(40 * MIB, 100 * MIB, 1, 14 * SECOND);
    assertTrue(line.contains("10.0 MiB/s  ETA 6s"), line);
  }

  @Test
  void fieldsKeepTheirPlacesAsTheNumbersGrow() {
    ProgressBar bar = new ProgressBar(80, 0);
    String early = bar.line(4 * MIB, 64 * MIB, 0, SECOND);
    String later = bar.line(40 * MIB, 64 * MIB, 2, 5 * SECOND);
    assertEquals(early.indexOf('['), later.indexOf('['), early + " / " + later);
    assertEquals(early.indexOf(']'), later.indexOf(']'), early + " / " + later);
    assertEquals(early.indexOf("/s"), later.indexOf("/s"), early + " / " + later);
  }

  @Test
  void theBarFitsTheWidthAndGoesOnANarrowTerminal() {
    for (int width : new int[] {80, 100, 200}) {
      String line = new ProgressBar(width, 0).line(10 * MIB, 100 * MIB, 3, SECOND);
      assertTrue(line.length() < width, width + ": " + line);
      assertTrue(line.contains("["), width + ": " + line);
    }
    String wide = new ProgressBar(300, 0).line(10 * MIB, 100 * MIB, 3, SECOND);
    assertEquals(42, wide.indexOf(']') - wide.indexOf('[') + 1, "at most 40 cells: " + wide);
    String narrow = new ProgressBar(50, 0).line(10 * MIB, 100 * MIB, 3, SECOND);
    assertFalse(narrow.contains("["), narrow);
    assertTrue(narrow.contains(" 10%"), narrow);
  }

  @Test
  void theFinalLineHasTheAverageRateAndTheTimeTaken() {
    ProgressBar bar = new ProgressBar(100, 0);
    bar.line(32 * MIB, 64 * MIB, 1, SECOND);
    String last = bar.finalLine(64 * MIB, 64 * MIB, 1, 4 * SECOND);
    assertEquals("  64.0 MiB / 64.0 MiB  100%  16.0 MiB/s  done in 4.0s  from 1 peer", last);
  }

  @Test
  void anEmptyTransferFinishes() {
    assertEquals("  0 B  0 B/s  done in 0.1s",
        new ProgressBar(80, 0).finalLine(0, 0, 0, SECOND / 10));
  }

  @Test
  void durations() {
    assertEquals("0s", ProgressBar.duration(0));
    assertEquals("59s", ProgressBar.duration(59));
    assertEquals("2m05s", ProgressBar.duration(125));
    assertEquals("1h02m", ProgressBar.duration(3720));
  }

  @Test
  void aRedrawBlanksWhatALongerLineLeft() {
    ProgressBar bar = new ProgressBar(80, 0);
    assertFalse(bar.drawn());
    assertEquals("\rabcdef", bar.redraw("abcdef"));
    assertEquals("\rabc   ", bar.redraw("abc"));
    assertEquals("\rabcd", bar.redraw("abcd"));
    assertTrue(bar.drawn());
  }

  @Test
  void barCells() {
    assertEquals("[>         ]", ProgressBar.bar(0, 100, 10));
    assertEquals("[=====>    ]", ProgressBar.bar(50, 100, 10));
    assertEquals("[==========]", ProgressBar.bar(100, 100, 10));
  }
}
