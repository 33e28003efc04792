package dev.dfcache.tls;

import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;

/**
 * Warnings that repeat on every connection attempt (a refused certificate, a scheduler that
 * presents the wrong name), logged once per distinct text per period: enough to be seen, not a
 * flood when a misconfigured client retries every second.
 */
public final class RateLimitedLog {
  private static final int MAX_REMEMBERED = 1000;
  private final Logger log;
  private final long periodMillis;
  private final ConcurrentHashMap<String, Long> lastLogged = new ConcurrentHashMap<>();

  public RateLimitedLog(Logger log, long periodMillis) {
    this.log = log;
    this.periodMillis = periodMillis;
  }

  public void warn(String text) {
    long now = System.currentTimeMillis();
    if (lastLogged.size() > MAX_REMEMBERED) {
      lastLogged.clear();
    }
    Long before = lastLogged.get(text);
    if (before != null && now - before < periodMillis) {
      return;
    }
    if (before == null ? lastLogged.putIfAbsent(text, now) == null
        : lastLogged.replace(text, before, now)) {
      log.warn(text);
    }
  }
}
