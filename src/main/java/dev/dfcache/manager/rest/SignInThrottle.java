package dev.dfcache.manager.rest;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.OptionalLong;
import java.util.function.LongSupplier;

/**
 * Slows password guessing at sign-in, per user name and per source address: the first few
 * attempts that fail are free, each one after that makes the next wait twice as long (from
 * {@code firstDelay} up to {@code maxDelay}). A success clears the user's count (not the
 * address's: one good account must not buy an address fresh guesses at other accounts).
 *
 * <p>An attempt counts as failed as soon as it starts ({@link #tryAttempt}) and is taken back
 * when it succeeds: a flood of parallel attempts is throttled before any of them has finished
 * its (deliberately slow) password check.
 *
 * <p>Memory is bounded: an entry is forgotten {@code forgetAfter} after its last failure and
 * when its delay has run out, and each map keeps at most {@code maxEntries} (the least recently
 * used go first). Each manager throttles on its own (several managers on one database multiply
 * the allowance by their number, still far below what an unthrottled endpoint gives).
 */
public final class SignInThrottle {
  /** A refusal: wait this many seconds. */
  public record Refusal(long retryAfterSeconds, String reason) {}

  private static final class Entry {
    int failures;
    long lastFailure;
    long blockedUntil;
  }

  private final LongSupplier clock;
  private final int freeForUser;
  private final int freeForAddress;
  private final long firstDelay;
  private final long maxDelay;
  private final long forgetAfter;
  private final Map<String, Entry> users;
  private final Map<String, Entry> addresses;

  /** @param clock milliseconds (tests give a fake one) */
  public SignInThrottle(LongSupplier clock, int freeForUser, int freeForAddress,
      Duration firstDelay, Duration maxDelay, Duration forgetAfter, int maxEntries) {
    this.clock = clock;
    this.freeForUser = freeForUser;
    this.freeForAddress = freeForAddress;
    this.firstDelay = firstDelay.toMillis();
    this.maxDelay = maxDelay.toMillis();
    this.forgetAfter = forgetAfter.toMillis();
    this.users = bounded(maxEntries);
    this.addresses = bounded(maxEntries);
  }

  /**
   * 5 free failures per user, 20 per address (several people behind one NAT), then 1 s, 2 s,
   * 4 s ... up to 5 minutes; forgotten an hour after the last failure; 50,000 entries of each
   * kind at most (a few MB).
   */
  public static SignInThrottle standard() {
    return new SignInThrottle(System::currentTimeMillis, 5, 20, Duration.ofSeconds(1),
        Duration.ofMinutes(5), Duration.ofHours(1), 50_000);
  }

  /**
   * Whether an attempt for {@code user} from {@code address} ("" when unknown) may go ahead;
   * when it may, it is counted as failed until {@link #succeeded} says otherwise.
   */
  public synchronized java.util.Optional<Refusal> tryAttempt(String user, String address) {
    long now = clock.getAsLong();
    OptionalLong userWait = wait(users, user, now);
    OptionalLong addressWait = address.isEmpty() ? OptionalLong.empty()
        : wait(addresses, address, now);
    if (userWait.isPresent() || addressWait.isPresent()) {
      long millis = Math.max(userWait.orElse(0), addressWait.orElse(0));
      String reason = userWait.isPresent()
          ? "too many failed sign-ins for user " + user
          : "too many failed sign-ins from " + address;
      return java.util.Optional.of(new Refusal(Math.max(1, (millis + 999) / 1000), reason));
    }
    fail(users, user, freeForUser, now);
    if (!address.isEmpty()) {
      fail(addresses, address, freeForAddress, now);
    }
    return java.util.Optional.empty();
  }

  /** The attempt was right: the user starts afresh, the address's count is taken back by one. */
  public synchronized void succeeded(String user, String address) {
    users.remove(user);
    Entry a = address.isEmpty() ? null : addresses.get(address);
    if (a != null && a.failures > 0) {
      a.failures--;
      if (a.failures < freeForAddress) {
        a.blockedUntil = 0;
      }
    }
  }

  /** Entries held now (for tests: memory stays bounded). */
  public synchronized int size() {
    return users.size() + addresses.size();
  }

  /** How long the key must still wait, dropping its entry when it is old enough to forget. */
  private OptionalLong wait(Map<String, Entry> map, String key, long now) {
    Entry e = map.get(key);
    if (e == null) {
      return OptionalLong.empty();
    }
    if (now >= e.blockedUntil && now - e.lastFailure >= forgetAfter) {
      map.remove(key);
      return OptionalLong.empty();
    }
    return now < e.blockedUntil ? OptionalLong.of(e.blockedUntil - now) : OptionalLong.empty();
  }

  private void fail(Map<String, Entry> map, String key, int free, long now) {
    Entry e = map.computeIfAbsent(key, k -> new Entry());
    e.failures++;
    e.lastFailure = now;
    int over = e.failures - free;
    if (over >= 0) {
      // after the free ones: 1 s, 2 s, 4 s ...; the shift is capped so that it cannot overflow
      long delay = Math.min(maxDelay, firstDelay << Math.min(over, 30));
      e.blockedUntil = now + delay;
    }
  }

  private static Map<String, Entry> bounded(int maxEntries) {
    return new LinkedHashMap<>(16, 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<String, Entry> eldest) {
        return size() > maxEntries;
      }
    };
  }
}
