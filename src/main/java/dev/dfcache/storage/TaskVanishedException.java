package dev.dfcache.storage;

/**
 * A complete task that was deleted or evicted between being looked up and being linked or copied
 * to an export's output. Not a failure of the export: the caller gets the task again (from peers)
 * and tries once more.
 */
public final class TaskVanishedException extends RuntimeException {
  public TaskVanishedException(String taskId) {
    super("task " + taskId + " was removed while it was exported", null, false, false);
  }
}
