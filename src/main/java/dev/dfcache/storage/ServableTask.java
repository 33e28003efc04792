package dev.dfcache.storage;

import java.nio.file.Path;

/** A task whose bytes this peer can upload: a complete one, or a download still in progress. */
public interface ServableTask {
  String taskId();

  Path dataFile();

  long contentLength();

  /** True when every byte of [start, endExclusive) is present and verified. */
  boolean hasRange(long start, long endExclusive);
}
