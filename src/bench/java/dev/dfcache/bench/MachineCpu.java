package dev.dfcache.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * How busy the whole machine's CPUs were between two readings of /proc/stat: tells a run that
 * waited on the network (or a cap) from one that ran out of CPU. Null where /proc/stat is absent.
 */
record MachineCpu(long busy, long total) {

  static MachineCpu now() {
    try {
      // "cpu  user nice system idle iowait irq softirq steal guest guest_nice"
      String cpu = Files.readAllLines(Path.of("/proc/stat")).get(0);
      String[] f = cpu.trim().split("\\s+");
      long total = 0;
      long idle = 0;
      for (int i = 1; i < f.length && i <= 8; i++) { // user..steal; guest time is inside user
        long v = Long.parseLong(f[i]);
        total += v;
        if (i == 4 || i == 5) {
          idle += v;
        }
      }
      return new MachineCpu(total - idle, total);
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  /** The share of the machine's CPU time that was busy since {@code before}, 0..1 (-1: unknown). */
  double busySince(MachineCpu before) {
    if (before == null || total == before.total) {
      return -1;
    }
    return (busy - before.busy) / (double) (total - before.total);
  }
}
