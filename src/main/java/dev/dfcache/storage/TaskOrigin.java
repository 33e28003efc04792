package dev.dfcache.storage;

/**
 * Who a task is: its id and the url and meta it was derived from (kept for re-announce), and
 * what its import asked of its life: when it expires (epoch ms; 0 = never) and how many copies
 * the network keeps (0 or 1 = no replication).
 */
public record TaskOrigin(String taskId, String url, String tag, String application, int taskType,
    long expiresAtMillis, int replicaCount) {

  public TaskOrigin(String taskId, String url, String tag, String application, int taskType) {
    this(taskId, url, tag, application, taskType, 0, 0);
  }

  public TaskOrigin withLifetime(long expiresAt, int replicas) {
    return new TaskOrigin(taskId, url, tag, application, taskType, expiresAt, replicas);
  }
}
