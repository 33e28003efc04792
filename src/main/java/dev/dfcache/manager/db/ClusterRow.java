package dev.dfcache.manager.db;

/** One scheduler cluster as stored; the three JSON columns as text. */
public record ClusterRow(long id, String name, String bio, String config, String clientConfig,
    String scopes, boolean isDefault, long configVersion, long createdAt, long updatedAt) {}
