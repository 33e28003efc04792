package dev.dfcache.manager.rest;

import dev.dfcache.manager.db.Database;
import dev.dfcache.manager.db.Passwords;
import dev.dfcache.manager.db.UserRepository;
import dev.dfcache.manager.db.UserRepository.User;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.http.javadsl.model.HttpRequest;

/**
 * Bearer token to user. Every request looks its token up in the database (by hash, with its
 * expiry), with no cache: a deleted or expired token stops working at once, on every manager.
 */
final class Auth {
  private static final int MAX_TOKEN_LENGTH = 256;

  private final Database db;

  Auth(Database db) {
    this.db = db;
  }

  /** The caller, or a failed stage with a 401 {@link ApiError}. */
  CompletionStage<User> authenticate(HttpRequest request) {
    Optional<String> token = bearer(request);
    if (token.isEmpty()) {
      return CompletableFuture.failedFuture(
          ApiError.unauthorized("an Authorization: Bearer <token> header is required"));
    }
    String hash = Passwords.tokenHash(token.get());
    return db.query(c -> UserRepository.userOfToken(c, hash, System.currentTimeMillis()))
        .thenApply(user -> user.orElseThrow(
            () -> ApiError.unauthorized("the token is unknown, expired or revoked")));
  }

  /** The hash of the request's bearer token (the caller was authenticated with it). */
  static Optional<String> tokenHash(HttpRequest request) {
    return bearer(request).map(Passwords::tokenHash);
  }

  private static Optional<String> bearer(HttpRequest request) {
    return request.getHeader("Authorization")
        .map(h -> h.value().trim())
        .filter(v -> v.regionMatches(true, 0, "Bearer ", 0, 7))
        .map(v -> v.substring(7).trim())
        .filter(t -> !t.isEmpty() && t.length() <= MAX_TOKEN_LENGTH);
  }
}
