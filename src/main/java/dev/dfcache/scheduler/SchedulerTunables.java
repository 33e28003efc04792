package dev.dfcache.scheduler;

import dev.dfcache.dynconfig.SchedulerConfig;

/**
 * The scheduler settings the manager may change while it runs (its cluster's config): the
 * parent-selection limits. Task entities read them at each choice; a key the configuration does
 * not set falls back to the node's own setting.
 */
public final class SchedulerTunables {
  private final SchedulerSettings.ParentSelection own;
  private volatile SchedulerSettings.ParentSelection current;

  public SchedulerTunables(SchedulerSettings.ParentSelection own) {
    this.own = own;
    this.current = own;
  }

  public SchedulerSettings.ParentSelection selection() {
    return current;
  }

  public void apply(SchedulerConfig c) {
    current = new SchedulerSettings.ParentSelection(
        c.candidateParentLimit() > 0 ? c.candidateParentLimit() : own.parentLimit(),
        c.defaultUploadLimit() > 0 ? c.defaultUploadLimit() : own.defaultUploadLimit(),
        c.badParentReporters() > 0 ? c.badParentReporters() : own.badParentReporters());
  }
}
