package dev.dfcache.cli;

import java.util.ArrayDeque;
import java.util.Locale;

/**
 * The line {@code dfcache export} and {@code import} draw on a terminal, e.g.
 * {@code   48.0 MiB / 128.0 MiB  37%  [=======>            ]  16.0 MiB/s  ETA 5s  from 2 peers}.
 * Only formatting: the caller says what the daemon reported and when, and prints the result.
 *
 * <p>The rate is over the last few seconds, not since the start: a download that waited for
 * parents, or sped up when more joined, shows what it does now, and the ETA follows it.
 */
final class ProgressBar {
  static final int DEFAULT_WIDTH = 80;
  private static final long RATE_WINDOW_NANOS = 3_000_000_000L;
  private static final int MIN_BAR = 8;
  private static final int MAX_BAR = 40;
  /** Columns kept for what follows the bar: "  212.4 MiB/s  ETA 2m05s  from 2 peers". */
  private static final int TAIL_ROOM = 38;

  private final int width;
  private final long startNanos;
  /** (time, bytes done) of the updates within the rate window, and the one just before it. */
  private final ArrayDeque<long[]> samples = new ArrayDeque<>();
  private int drawnLength;

  /** A bar for a terminal {@code width} columns wide, for a transfer started at startNanos. */
  ProgressBar(int width, long startNanos) {
    this.width = width;
    this.startNanos = startNanos;
    samples.add(new long[] {startNanos, 0});
  }

  /** The line for an update: {@code total} 0 when not known yet. */
  String line(long done, long total, int peers, long nowNanos) {
    while (samples.size() > 1 && nowNanos - second()[0] >= RATE_WINDOW_NANOS) {
      samples.removeFirst();
    }
    long[] oldest = samples.peekFirst();
    samples.addLast(new long[] {nowNanos, done});
    double rate = rate(done - oldest[1], nowNanos - oldest[0]);
    String eta = "ETA " + (rate > 0 ? duration((long) ((total - done) / rate)) : "--");
    return compose(done, total, rate, total > 0 && done <= total ? eta : null, peers, true);
  }

  /**
   * The last line, when the transfer succeeded: the average rate and how long it took, and no
   * bar (a full one says nothing the 100% does not).
   */
  String finalLine(long done, long total, int peers, long nowNanos) {
    long elapsed = nowNanos - startNanos;
    double seconds = elapsed / 1e9;
    String took = "done in " + (seconds < 60
        ? String.format(Locale.ROOT, "%.1fs", seconds) : duration((long) seconds));
    return compose(done, Math.max(total, done), rate(done, elapsed), took, peers, false);
  }

  /**
   * What to print to replace the line drawn last with {@code line}: a carriage return, the line,
   * and blanks over what is left of a longer one.
   */
  String redraw(String line) {
    String pad = " ".repeat(Math.max(0, drawnLength - line.length()));
    drawnLength = line.length();
    return "\r" + line + pad;
  }

  /** Whether anything was drawn (a line to end before printing more). */
  boolean drawn() {
    return drawnLength > 0;
  }

  /**
   * The fields keep their places from one redraw to the next: the bytes done as wide as the
   * total, the rate as wide as "999.9 MiB/s", and the bar as long as the room a tail of
   * {@link #TAIL_ROOM} columns leaves (a longer tail shortens it).
   */
  private String compose(long done, long total, double rate, String when, int peers,
      boolean withBar) {
    String doneText = Units.formatBytes(done);
    StringBuilder head = new StringBuilder("  ");
    String pct = "";
    if (total > 0) {
      String totalText = Units.formatBytes(total);
      head.append(" ".repeat(Math.max(0, totalText.length() - doneText.length())))
          .append(doneText).append(" / ").append(totalText);
      pct = String.format(Locale.ROOT, "%3d%%", (int) Math.min(100, done * 100 / total));
    } else {
      head.append(doneText);
    }
    String rateText = Units.formatBytes((long) rate) + "/s";
    StringBuilder tail = new StringBuilder("  ").append(withBar && total > 0
        ? String.format(Locale.ROOT, "%11s", rateText) : rateText);
    if (when != null) {
      tail.append("  ").append(when);
    }
    if (peers > 0) {
      tail.append("  from ").append(peers).append(peers == 1 ? " peer" : " peers");
    }
    if (total <= 0) {
      return head.append(tail).toString();
    }
    // the bar takes what is left of the width, within bounds; none on a narrow terminal
    int fixed = head.length() + 2 + pct.length() + Math.max(TAIL_ROOM, tail.length());
    int room = width - 1 - fixed - 4; // the cursor's column, "  [" and "]"
    if (!withBar || room < MIN_BAR) {
      return head + "  " + pct + tail;
    }
    return head + "  " + pct + "  " + bar(done, total, Math.min(MAX_BAR, room)) + tail;
  }

  static String bar(long done, long total, int cells) {
    int full = (int) Math.min(cells, done * cells / total);
    StringBuilder b = new StringBuilder(cells + 2).append('[');
    b.append("=".repeat(full));
    if (full < cells) {
      b.append('>').append(" ".repeat(cells - full - 1));
    }
    return b.append(']').toString();
  }

  /** 45s, 2m05s, 1h02m. */
  static String duration(long seconds) {
    if (seconds < 60) {
      return seconds + "s";
    }
    if (seconds < 3600) {
      return String.format(Locale.ROOT, "%dm%02ds", seconds / 60, seconds % 60);
    }
    return String.format(Locale.ROOT, "%dh%02dm", seconds / 3600, seconds % 3600 / 60);
  }

  private static double rate(long bytes, long nanos) {
    return nanos <= 0 ? 0 : bytes * 1e9 / nanos;
  }

  private long[] second() {
    java.util.Iterator<long[]> i = samples.iterator();
    i.next();
    return i.next();
  }
}
