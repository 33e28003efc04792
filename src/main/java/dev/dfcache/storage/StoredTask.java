package dev.dfcache.storage;

import java.nio.file.Path;

/** A complete, verified task in the store. */
public record StoredTask(TaskMeta meta, Path dir) implements ServableTask {
  static final String DATA = "data";
  static final String META = "meta.json";

  @Override
  public String taskId() {
    return meta.taskId();
  }

  @Override
  public Path dataFile() {
    return dir.resolve(DATA);
  }

  @Override
  public long contentLength() {
    return meta.contentLength();
  }

  @Override
  public boolean hasRange(long start, long endExclusive) {
    return start >= 0 && start <= endExclusive && endExclusive <= meta.contentLength();
  }
}
