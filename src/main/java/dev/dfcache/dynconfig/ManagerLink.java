package dev.dfcache.dynconfig;

import dev.dfcache.api.manager.KeepAliveResponse;
import dev.dfcache.common.HostPort;
import dev.dfcache.rpc.Channels;
import dev.dfcache.rpc.ManagerRpc;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A component's tie to its manager. At start it registers and applies its cluster's
 * configuration, or, with the manager unreachable, the last good one cached on disk. Then every
 * keep-alive interval it renews its lease (with its metrics summary); when the answer carries a
 * new configuration version, or the manager no longer knows it (a reset database), or the
 * refresh interval passed, it registers again and applies what comes back. A manager that is
 * down stops only configuration changes and metrics: the component runs on with what it has,
 * and registers by itself when the manager is back.
 */
public final class ManagerLink implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ManagerLink.class);
  private static final Duration DEADLINE = Duration.ofSeconds(5);

  private final HostPort manager;
  private final ManagedComponent component;
  private final Path cacheFile;
  private final Duration keepAliveEvery;
  private final Duration refreshEvery;
  private final Channels channels;
  private final ScheduledExecutorService thread;
  private volatile Dynconfig applied;
  private long lastRegisteredNanos;
  private boolean unreachable;

  /** @param channels plaintext, or mutual TLS with the component's own certificate */
  public ManagerLink(HostPort manager, ManagedComponent component, Path cacheFile,
      Duration keepAliveEvery, Duration refreshEvery, Channels channels) {
    this.channels = channels;
    this.manager = manager;
    this.component = component;
    this.cacheFile = cacheFile;
    this.keepAliveEvery = keepAliveEvery;
    this.refreshEvery = refreshEvery;
    this.thread = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "manager-link");
      t.setDaemon(true);
      return t;
    });
  }

  /**
   * Registers, or falls back to the cached configuration; applies it. Blocking, at start.
   *
   * @return what was applied; empty when neither the manager nor a cache had anything
   */
  public Optional<Dynconfig> start() {
    try {
      registerAndApply();
      log.info("{} registered with manager {}: cluster {} ({}), configuration version {}",
          component.describe(), manager, applied.clusterName(), applied.clusterId(),
          applied.configVersion());
    } catch (RuntimeException e) {
      unreachable = true;
      Optional<Dynconfig> cached = Dynconfig.load(cacheFile);
      if (cached.isPresent()) {
        applied = cached.get();
        component.apply(applied);
        log.warn("manager {} unreachable ({}): started from the configuration cached at {} "
                + "(version {}); registering when it is back", manager, e.getMessage(),
            Instant.ofEpochMilli(applied.fetchedAtMillis()), applied.configVersion());
      } else {
        log.warn("manager {} unreachable ({}) and no cached configuration in {}: running on "
            + "this component's own settings", manager, e.getMessage(), cacheFile);
      }
    }
    thread.scheduleWithFixedDelay(this::tick, keepAliveEvery.toMillis(),
        keepAliveEvery.toMillis(), TimeUnit.MILLISECONDS);
    return Optional.ofNullable(applied);
  }

  /** The configuration applied now (null before any). */
  public Dynconfig applied() {
    return applied;
  }

  private void tick() {
    try {
      if (applied == null || unreachable) {
        registerAndApply();
        if (unreachable) {
          log.info("manager {} reachable again: {} registered, configuration version {}",
              manager, component.describe(), applied.configVersion());
        }
        unreachable = false;
        return;
      }
      KeepAliveResponse r = ManagerRpc.KEEP_ALIVE.call(channels.get(manager),
          component.keepAlive().toBuilder().setConfigVersion(applied.configVersion()).build(),
          DEADLINE);
      boolean stale = System.nanoTime() - lastRegisteredNanos > refreshEvery.toNanos();
      if (!r.getKnown() || r.getConfigVersion() != applied.configVersion() || stale) {
        long before = applied.configVersion();
        registerAndApply();
        if (applied.configVersion() != before) {
          log.info("{}: cluster configuration version {} applied (was {})",
              component.describe(), applied.configVersion(), before);
        }
      }
    } catch (RuntimeException e) {
      if (!unreachable) {
        log.warn("manager {} unreachable: {}; keeping configuration version {}", manager,
            e.getMessage(), applied == null ? "none" : applied.configVersion());
      }
      unreachable = true;
      channels.resetBackoff(manager);
    }
  }

  private void registerAndApply() {
    Dynconfig fresh = component.register(channels.get(manager), DEADLINE);
    lastRegisteredNanos = System.nanoTime();
    if (applied == null || !fresh.equals(applied.withFetchedAt(fresh.fetchedAtMillis()))) {
      component.apply(fresh);
      try {
        fresh.save(cacheFile);
      } catch (java.io.IOException e) {
        log.warn("could not cache the configuration in {}: {}", cacheFile, e.getMessage());
      }
    }
    applied = fresh;
  }

  @Override
  public void close() {
    thread.shutdownNow();
    channels.close();
  }
}
