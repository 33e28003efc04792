package dev.dfcache.storage;

/**
 * Who a task is: its id and the url and meta it was derived from (kept for re-announce), and
 * when it expires (epoch ms; 0 = never), as its import's TTL set it.
 */
public record TaskOrigin(String taskId, String url, String tag, String application, int taskType,
    long expiresAtMillis) {

  public TaskOrigin(String taskId, String url, String tag, String application, int taskType) {
    this(taskId, url, tag, application, taskType, 0);
  }

  public TaskOrigin expiringAt(long millis) {
    return new TaskOrigin(taskId, url, tag, application, taskType, millis);
  }
}
