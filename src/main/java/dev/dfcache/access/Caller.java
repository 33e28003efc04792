package dev.dfcache.access;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * Who a local API call acts for, as the kernel tells it: the uid and gid of the process at the
 * other end of the unix socket (SO_PEERCRED), with its supplementary groups read from
 * {@code /proc/<pid>/status} when the connection is set up. Never taken from a request field.
 *
 * @param uid the caller's (effective) user id
 * @param gid its primary group id
 * @param groups every group it is in, the primary one included
 * @param pid the process that connected (informational: for logs)
 */
public record Caller(int uid, int gid, Set<Integer> groups, int pid) {
  public Caller {
    groups = Set.copyOf(groups);
  }

  /** Root reads and writes everything, as the kernel lets it (DAC override). */
  public boolean isRoot() {
    return uid == 0;
  }

  public boolean inGroup(int group) {
    return groups.contains(group);
  }

  /**
   * The caller behind a unix socket connection: uid and gid from SO_PEERCRED; the supplementary
   * groups from the process's status file, but only while that file still describes the same
   * effective uid (a pid reused, or a process that changed identity, gets its primary gid only).
   */
  public static Caller ofPeer(int pid, int uid, int gid) {
    Set<Integer> groups = new TreeSet<>();
    groups.add(gid);
    try {
      List<String> status = Files.readAllLines(Path.of("/proc", Integer.toString(pid), "status"));
      if (effectiveId(status, "Uid:") == uid) {
        groups.addAll(listed(status, "Groups:"));
      }
    } catch (IOException | RuntimeException e) {
      // gone already, or not Linux: the primary group alone
    }
    return new Caller(uid, gid, groups, pid);
  }

  /** This process itself: what the legacy TCP local API acts as. */
  public static Caller self() {
    try {
      List<String> status = Files.readAllLines(Path.of("/proc/self/status"));
      int uid = effectiveId(status, "Uid:");
      int gid = effectiveId(status, "Gid:");
      Set<Integer> groups = new TreeSet<>(listed(status, "Groups:"));
      groups.add(gid);
      return new Caller(uid, gid, groups, (int) ProcessHandle.current().pid());
    } catch (IOException e) {
      throw new IllegalStateException("cannot read /proc/self/status", e);
    }
  }

  /** "Uid:\treal\teffective\tsaved\tfs": the effective id (second). */
  private static int effectiveId(List<String> status, String key) {
    for (String line : status) {
      if (line.startsWith(key)) {
        return Integer.parseInt(line.substring(key.length()).trim().split("\\s+")[1]);
      }
    }
    throw new IllegalStateException("no " + key + " line");
  }

  private static List<Integer> listed(List<String> status, String key) {
    for (String line : status) {
      if (line.startsWith(key)) {
        String rest = line.substring(key.length()).trim();
        return rest.isEmpty() ? List.of()
            : Arrays.stream(rest.split("\\s+")).map(Integer::valueOf).toList();
      }
    }
    return List.of();
  }

  @Override
  public String toString() {
    return "uid " + uid + " (gid " + gid + ", pid " + pid + ")";
  }
}
