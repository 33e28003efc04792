package dev.dfcache.storage;

/** Who a task is: its id and the url and meta it was derived from (kept for re-announce). */
public record TaskOrigin(String taskId, String url, String tag, String application, int taskType) {}
