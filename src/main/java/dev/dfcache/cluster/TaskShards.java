package dev.dfcache.cluster;

import org.apache.pekko.cluster.sharding.typed.ShardingEnvelope;
import org.apache.pekko.cluster.sharding.typed.ShardingMessageExtractor;

/**
 * Maps a task id (64 hex chars of a sha256, so already uniformly spread) to one of a fixed number
 * of shards. The shard count is a deliberate constant of a deployment: about 10x the largest
 * scheduler fleet, and it must be the same on every node.
 */
public final class TaskShards<M> extends ShardingMessageExtractor<ShardingEnvelope<M>, M> {
  private final int numberOfShards;

  public TaskShards(int numberOfShards) {
    this.numberOfShards = numberOfShards;
  }

  public static String shardOf(String taskId, int numberOfShards) {
    long h;
    if (taskId.length() >= 15 && taskId.chars().limit(15).allMatch(c -> Character.digit(c, 16) >= 0)) {
      h = Long.parseLong(taskId.substring(0, 15), 16);
    } else {
      h = taskId.hashCode() & 0x7fffffffL;
    }
    return Long.toString(h % numberOfShards);
  }

  @Override
  public String entityId(ShardingEnvelope<M> envelope) {
    return envelope.entityId();
  }

  @Override
  public String shardId(String entityId) {
    return shardOf(entityId, numberOfShards);
  }

  @Override
  public M unwrapMessage(ShardingEnvelope<M> envelope) {
    return envelope.message();
  }
}
