package dev.dfcache.manager.rest;

import dev.dfcache.manager.db.Passwords;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Runs password hashing (PBKDF2, about 0.1-0.3 s of CPU each) on threads of its own, few and
 * with a short queue, never on the database threads: a flood of sign-ins then waits here, or is
 * refused with 503, while the components' keep-alives still find their database threads free.
 */
final class PasswordHasher implements AutoCloseable {
  private final ThreadPoolExecutor threads;

  PasswordHasher(int threads, int queue) {
    this.threads = new ThreadPoolExecutor(threads, threads, 0, TimeUnit.MILLISECONDS,
        new ArrayBlockingQueue<>(queue), r -> {
          Thread t = new Thread(r, "manager-passwords");
          t.setDaemon(true);
          return t;
        }, new ThreadPoolExecutor.AbortPolicy());
  }

  /** Two threads (of a manager's usual 2-4 cores), 32 waiting at most. */
  static PasswordHasher standard() {
    return new PasswordHasher(2, 32);
  }

  /** Whether {@code password} matches {@code stored}; a 503 when too many are waiting. */
  CompletionStage<Boolean> matches(char[] password, String stored) {
    return run(() -> Passwords.matches(password, stored));
  }

  /** The stored form of a new password; a 503 when too many are waiting. */
  CompletionStage<String> hash(char[] password) {
    return run(() -> Passwords.hash(password));
  }

  private <T> CompletionStage<T> run(Supplier<T> work) {
    try {
      return CompletableFuture.supplyAsync(work, threads);
    } catch (RejectedExecutionException full) {
      return CompletableFuture.failedFuture(ApiError.unavailable(
          "too many sign-ins at once; retry in a second", 1));
    }
  }

  @Override
  public void close() {
    threads.shutdownNow();
  }
}
