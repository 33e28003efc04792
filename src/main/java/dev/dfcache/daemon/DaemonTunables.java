package dev.dfcache.daemon;

import dev.dfcache.dynconfig.ClientConfig;
import dev.dfcache.transfer.TokenBucket;
import dev.dfcache.transfer.UploadServer;
import java.time.Duration;

/**
 * The daemon settings the manager may change while it runs (its cluster's client_config): rate
 * limits, upload concurrency, GC watermarks, and the defaults of imports. Each reader asks here
 * at the moment it needs the value, so a change takes effect on the next piece, upload, GC run
 * or import. A key the configuration does not set falls back to the daemon's own setting (its
 * flags and config file), so removing a key undoes it.
 */
public final class DaemonTunables {
  private final DaemonSettings own;
  private final TokenBucket uploadLimit;
  private final TokenBucket downloadLimit;
  private volatile UploadServer uploads;
  private volatile double gcHigh;
  private volatile double gcLow;
  private volatile Duration defaultTtl;
  private volatile int defaultReplicaCount;
  private volatile ClientConfig applied = ClientConfig.UNSET;

  DaemonTunables(DaemonSettings own) {
    this.own = own;
    this.uploadLimit = TokenBucket.adjustable(own.uploadLimit());
    this.downloadLimit = TokenBucket.adjustable(own.downloadLimit());
    this.gcHigh = own.gcHighWatermark();
    this.gcLow = own.gcLowWatermark();
    this.defaultTtl = own.lifetime().defaultTtl();
    this.defaultReplicaCount = own.lifetime().defaultReplicaCount();
  }

  void attach(UploadServer uploads) {
    this.uploads = uploads;
    if (applied.loadLimit() > 0) {
      uploads.setMaxConcurrentUploads(applied.loadLimit());
    }
  }

  /** Applies a cluster's client_config (every key unset = the daemon's own settings). */
  public synchronized void apply(ClientConfig c) {
    uploadLimit.setRate(c.uploadRateLimit() >= 0 ? c.uploadRateLimit() : own.uploadLimit());
    downloadLimit.setRate(c.downloadRateLimit() >= 0 ? c.downloadRateLimit()
        : own.downloadLimit());
    UploadServer u = uploads;
    if (u != null) {
      u.setMaxConcurrentUploads(c.loadLimit() > 0 ? c.loadLimit() : own.maxConcurrentUploads());
    }
    gcHigh = c.gcHighWatermark() > 0 ? c.gcHighWatermark() : own.gcHighWatermark();
    gcLow = c.gcLowWatermark() > 0 ? c.gcLowWatermark() : own.gcLowWatermark();
    if (gcLow >= gcHigh) {
      gcLow = gcHigh * 0.75; // one of the pair came from the daemon's own settings
    }
    defaultTtl = c.defaultTtl() != null ? c.defaultTtl() : own.lifetime().defaultTtl();
    defaultReplicaCount = c.defaultReplicaCount() > 0 ? c.defaultReplicaCount()
        : own.lifetime().defaultReplicaCount();
    applied = c;
  }

  /** Shared by every upload of this daemon. */
  public TokenBucket uploadLimit() {
    return uploadLimit;
  }

  /** Shared by every download of this daemon. */
  public TokenBucket downloadLimit() {
    return downloadLimit;
  }

  public double gcHighWatermark() {
    return gcHigh;
  }

  public double gcLowWatermark() {
    return gcLow;
  }

  public Duration defaultTtl() {
    return defaultTtl;
  }

  public int defaultReplicaCount() {
    return defaultReplicaCount;
  }
}
