package dev.dfcache.manager.rest;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dfcache.manager.db.AuditRepository;
import dev.dfcache.manager.db.Database;
import dev.dfcache.manager.db.Passwords;
import dev.dfcache.manager.db.UserRepository;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.http.javadsl.model.HttpResponse;

/** /api/v1/users: sign-in (which issues a session token), and creating and listing users. */
final class UserResource {
  static final String SESSION_PREFIX = "dfc_session_";
  static final String WRONG = "wrong name or password";
  /** PBKDF2 over a huge password costs the server: a bound keeps sign-in cheap to refuse. */
  private static final int MAX_PASSWORD = 1024;
  private static final int MIN_PASSWORD = 8;
  private static final Set<String> SIGNIN_FIELDS = Set.of("name", "password");
  private static final Set<String> CREATE_FIELDS = Set.of("name", "password", "role");

  private final Database db;
  private final Duration sessionTtl;
  private final SignInThrottle throttle;
  private final PasswordHasher hasher;

  UserResource(Database db, Duration sessionTtl, SignInThrottle throttle,
      PasswordHasher hasher) {
    this.db = db;
    this.sessionTtl = sessionTtl;
    this.throttle = throttle;
    this.hasher = hasher;
  }

  /**
   * A wrong name and a wrong password get the same answer (and cost the same: an unknown name is
   * checked against a dummy hash). Throttled per name and per source address (429 with
   * Retry-After); the password is checked on the hasher's threads, not the database's.
   */
  CompletionStage<HttpResponse> signin(Call call) {
    ObjectNode body = JsonBodies.parse(call.body(), SIGNIN_FIELDS);
    String name = JsonBodies.requiredString(body, "name", 128);
    char[] password = JsonBodies.requiredString(body, "password", MAX_PASSWORD).toCharArray();
    String address = call.sourceAddress();
    throttle.tryAttempt(name, address).ifPresent(refusal -> {
      throw ApiError.tooManyRequests(refusal.reason() + "; retry in "
          + refusal.retryAfterSeconds() + " s", refusal.retryAfterSeconds());
    });
    String token = Passwords.newToken(SESSION_PREFIX);
    return db.query(c -> UserRepository.credentials(c, name)).thenCompose(found ->
        hasher.matches(password, found.map(UserRepository.Credentials::passwordHash)
            .orElse(Passwords.DUMMY_HASH)).thenApply(right -> {
              if (!right || found.isEmpty()) {
                throw ApiError.unauthorized(WRONG);
              }
              throttle.succeeded(name, address);
              return found.get().user();
            }))
        .thenCompose(user -> db.query(c -> {
          long expiresAt = System.currentTimeMillis() + sessionTtl.toMillis();
          UserRepository.TokenRow row = UserRepository.addToken(c, user.id(), "session", "", "",
              Passwords.tokenHash(token), expiresAt);
          return new Session(user, row.expiresAt());
        })).thenApply(session -> {
          ObjectNode out = Json.object();
          out.put("token", token);
          out.put("expires_at", session.expiresAt());
          // the console shows a read-only user no edit controls (the API refuses their writes)
          out.put("name", session.user().name());
          out.put("role", session.user().role());
          return Responses.ok(out);
        });
  }

  /**
   * POST /api/v1/users/signout: the session token of the request stops working on every
   * manager at once (a personal access token is revoked on its own page, not here).
   */
  CompletionStage<HttpResponse> signout(Call call) {
    String hash = Auth.tokenHash(call.request()).orElseThrow();
    return db.query(c -> UserRepository.deleteSession(c, hash)).thenApply(ended -> {
      if (!ended) {
        throw ApiError.badRequest("only a sign-in session can be signed out; revoke a "
            + "personal access token instead");
      }
      return Responses.noContent();
    });
  }

  private record Session(UserRepository.User user, long expiresAt) {}

  CompletionStage<HttpResponse> create(Call call) {
    ObjectNode body = JsonBodies.parse(call.body(), CREATE_FIELDS);
    String name = JsonBodies.name(body, "name");
    String password = JsonBodies.requiredString(body, "password", MAX_PASSWORD);
    if (password.length() < MIN_PASSWORD) {
      throw ApiError.badRequest("password must be at least " + MIN_PASSWORD + " characters");
    }
    String role = JsonBodies.requiredString(body, "role", 16);
    if (!role.equals("root") && !role.equals("readonly")) {
      throw ApiError.badRequest("role must be root or readonly");
    }
    String detail = JsonBodies.auditDetail(body);
    return hasher.hash(password.toCharArray()).thenCompose(hash -> db.transaction(c -> {
      UserRepository.User user;
      try {
        user = UserRepository.createHashed(c, name, hash, role);
      } catch (Database.DatabaseException e) {
        if (e.uniqueViolation()) {
          throw ApiError.conflict("a user named " + name + " already exists");
        }
        throw e;
      }
      AuditRepository.record(c, call.user().name(), "user.create", "user/" + user.id(), detail);
      return user;
    })).thenApply(user -> Responses.created(json(user)));
  }

  CompletionStage<HttpResponse> list(Call call) {
    return db.query(UserRepository::list).thenApply(users -> {
      ArrayNode out = Json.MAPPER.createArrayNode();
      users.forEach(u -> out.add(json(u)));
      return Responses.ok(out);
    });
  }

  private static ObjectNode json(UserRepository.User u) {
    return Json.object().put("id", u.id()).put("name", u.name()).put("role", u.role());
  }
}
