package dev.dfcache.common;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * How far one import or export has got, for a caller that watches it (the local API's
 * ...WithProgress calls): bytes done, bytes in all, and the distinct parents pieces came from.
 * Updated once per piece (never per byte) from whatever threads do the work; read by a ticker.
 * {@link #NONE} ignores every update, for the calls nobody watches.
 *
 * <p>A transfer that joins one already running (a second export of a task being downloaded)
 * {@link #follow}s the running one's progress instead of counting on its own.
 */
public final class TransferProgress {
  /** Counts nothing: the unary calls pass it. */
  public static final TransferProgress NONE = new TransferProgress(false);

  /** What a watcher sees; {@code total} 0 while unknown. */
  public record Snapshot(long done, long total, int peers) {}

  private final boolean counting;
  private final AtomicLong done = new AtomicLong();
  private final AtomicLong total = new AtomicLong();
  private final Set<String> peers = ConcurrentHashMap.newKeySet();
  private volatile TransferProgress followed;

  public TransferProgress() {
    this(true);
  }

  private TransferProgress(boolean counting) {
    this.counting = counting;
  }

  /** The transfer's size, once known. */
  public void total(long bytes) {
    if (counting) {
      total.set(bytes);
    }
  }

  /** Bytes read, copied or hashed locally. */
  public void add(long bytes) {
    if (counting) {
      done.addAndGet(bytes);
    }
  }

  /** A piece downloaded (verified and written) from a parent. */
  public void addFrom(String peerId, long bytes) {
    if (counting) {
      peers.add(peerId);
      done.addAndGet(bytes);
    }
  }

  /** From now on this shows {@code other}'s progress: the transfer joined it. */
  public void follow(TransferProgress other) {
    if (counting && other != this) {
      followed = other;
    }
  }

  public Snapshot snapshot() {
    TransferProgress f = followed;
    if (f != null) {
      return f.snapshot();
    }
    return new Snapshot(done.get(), total.get(), peers.size());
  }
}
