package dev.dfcache.access;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * Where the local API may read imports from or write exports to, checked on the fully resolved
 * path that is then opened (never on the path as the request spelled it): anywhere the caller's
 * own permissions allow, or only below some directories.
 */
public final class PathScope {
  private final List<Path> dirs;
  private final String description;

  private PathScope(List<Path> dirs, String description) {
    this.dirs = dirs;
    this.description = description;
  }

  /** No confinement beyond the caller's permissions. */
  public static PathScope anywhere() {
    return new PathScope(null, "anywhere");
  }

  /** Only below these directories (symlinks in them resolved); none = nowhere. */
  public static PathScope within(List<Path> allowed) {
    return new PathScope(List.copyOf(allowed), allowed.isEmpty() ? "nowhere (no directory is "
        + "allowed)" : "only below " + allowed);
  }

  /** The socket's scope: the configured directories, or anywhere when none are configured. */
  public static PathScope configuredOrAnywhere(List<Path> allowed) {
    return allowed.isEmpty() ? anywhere() : within(allowed);
  }

  public boolean allows(Path resolved) {
    if (dirs == null) {
      return true;
    }
    for (Path dir : dirs) {
      try {
        if (resolved.startsWith(dir.toRealPath())) {
          return true;
        }
      } catch (IOException ignored) {
        // an allowed directory that does not exist allows nothing
      }
    }
    return false;
  }

  @Override
  public String toString() {
    return description;
  }
}
