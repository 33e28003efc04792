package dev.dfcache.dynconfig;

import dev.dfcache.api.manager.KeepAliveResponse;
import dev.dfcache.common.Backoff;
import dev.dfcache.common.HostPort;
import dev.dfcache.rpc.Channels;
import dev.dfcache.rpc.ManagerRpc;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
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
 * and registers by itself when the manager is back. A configuration that lacks what only a
 * later registration brings (a daemon's schedulers, while none has registered yet: components
 * start together) is asked for again soon, after 1 s, 2 s, 4 s... up to the refresh interval.
 */
public final class ManagerLink implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ManagerLink.class);
  private static final Duration DEADLINE = Duration.ofSeconds(5);
  private static final Duration FIRST_EARLY_ASK = Duration.ofSeconds(1);

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
  /** Delays of the early asks while the configuration is incomplete. */
  private final Backoff earlyAsks;
  private ScheduledFuture<?> earlyAsk;

  /** @param channels plaintext, or mutual TLS with the component's own certificate */
  public ManagerLink(HostPort manager, ManagedComponent component, Path cacheFile,
      Duration keepAliveEvery, Duration refreshEvery, Channels channels) {
    this.channels = channels;
    this.manager = manager;
    this.component = component;
    this.cacheFile = cacheFile;
    this.keepAliveEvery = keepAliveEvery;
    this.refreshEvery = refreshEvery;
    this.earlyAsks = new Backoff(
        refreshEvery.compareTo(FIRST_EARLY_ASK) < 0 ? refreshEvery : FIRST_EARLY_ASK,
        refreshEvery);
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
        component.askingAgain(manager, false, keepAliveEvery);
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
      if (applied == null || component.incomplete(applied)) {
        component.askingAgain(manager, false, keepAliveEvery);
      }
    }
  }

  /**
   * The configuration just applied is incomplete: registers again after the next delay (a
   * keep-alive tick that registers meanwhile moves it on); complete, the delays start over.
   */
  private void askAgainSoonIfIncomplete() {
    if (earlyAsk != null) {
      earlyAsk.cancel(false);
      earlyAsk = null;
    }
    if (!component.incomplete(applied)) {
      if (earlyAsks.failures() > 0) {
        log.info("{}: configuration complete after {} early asks", component.describe(),
            earlyAsks.failures());
      }
      earlyAsks.succeeded();
      return;
    }
    Duration in = earlyAsks.failed();
    if (earlyAsks.failures() == 1) {
      log.warn("{}: the configuration from manager {} is incomplete; asking again in {} ms, "
          + "then less often up to every {} s", component.describe(), manager, in.toMillis(),
          refreshEvery.toSeconds());
    }
    component.askingAgain(manager, true, in);
    earlyAsk = thread.schedule(this::askEarly, in.toMillis(), TimeUnit.MILLISECONDS);
  }

  private void askEarly() {
    earlyAsk = null;
    if (unreachable) {
      return; // the keep-alive tick registers once the manager is back
    }
    try {
      registerAndApply();
    } catch (RuntimeException e) {
      log.warn("manager {} unreachable: {}; keeping configuration version {}", manager,
          e.getMessage(), applied.configVersion());
      unreachable = true;
      channels.resetBackoff(manager);
      component.askingAgain(manager, false, keepAliveEvery);
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
    askAgainSoonIfIncomplete();
  }

  @Override
  public void close() {
    thread.shutdownNow();
    channels.close();
  }
}
