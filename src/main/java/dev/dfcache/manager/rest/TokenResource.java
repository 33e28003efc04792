package dev.dfcache.manager.rest;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dfcache.manager.db.AuditRepository;
import dev.dfcache.manager.db.Database;
import dev.dfcache.manager.db.Passwords;
import dev.dfcache.manager.db.UserRepository;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.http.javadsl.model.HttpResponse;

/**
 * /api/v1/personal-access-tokens: the caller's own long-lived tokens (for scripts and CI). The
 * token is shown once, at creation; only its hash is stored. Read-only users may manage theirs.
 */
final class TokenResource {
  static final String PREFIX = "dfc_pat_";
  private static final long DEFAULT_SECONDS = 30L * 86_400;
  private static final long MAX_SECONDS = 365L * 86_400;
  private static final Set<String> CREATE_FIELDS = Set.of("name", "expires_in_seconds", "scopes");

  private final Database db;

  TokenResource(Database db) {
    this.db = db;
  }

  CompletionStage<HttpResponse> create(Call call) {
    ObjectNode body = JsonBodies.parse(call.body(), CREATE_FIELDS);
    String name = JsonBodies.requiredString(body, "name", 128);
    long seconds = JsonBodies.optionalLong(body, "expires_in_seconds", 1, MAX_SECONDS,
        DEFAULT_SECONDS);
    String scopes = JsonBodies.optionalString(body, "scopes", 256, "");
    String detail = JsonBodies.auditDetail(body);
    String token = Passwords.newToken(PREFIX);
    long expiresAt = System.currentTimeMillis() + seconds * 1000;
    return db.transaction(c -> {
      UserRepository.TokenRow row = UserRepository.addToken(c, call.user().id(), "personal",
          name, scopes, Passwords.tokenHash(token), expiresAt);
      AuditRepository.record(c, call.user().name(), "personal-access-token.create",
          "personal-access-token/" + row.id(), detail);
      return row;
    }).thenApply(row -> {
      ObjectNode out = Json.object();
      out.put("id", row.id());
      out.put("name", row.name());
      out.put("token", token);
      out.put("scopes", row.scopes());
      out.put("expires_at", row.expiresAt());
      out.put("created_at", row.createdAt());
      return Responses.created(out);
    });
  }

  CompletionStage<HttpResponse> list(Call call) {
    return db.query(c -> UserRepository.personalTokens(c, call.user().id())).thenApply(rows -> {
      ArrayNode out = Json.MAPPER.createArrayNode();
      for (UserRepository.TokenRow r : rows) {
        out.addObject()
            .put("id", r.id())
            .put("name", r.name())
            .put("scopes", r.scopes())
            .put("expires_at", r.expiresAt())
            .put("created_at", r.createdAt());
      }
      return Responses.ok(out);
    });
  }

  /** Another user's token is "not found" too: no one learns which ids exist. */
  CompletionStage<HttpResponse> delete(Call call) {
    long id = call.id(0);
    return db.transaction(c -> {
      if (!UserRepository.deletePersonalToken(c, call.user().id(), id)) {
        throw ApiError.notFound("personal access token " + id + " not found");
      }
      AuditRepository.record(c, call.user().name(), "personal-access-token.delete",
          "personal-access-token/" + id, "{}");
      return id;
    }).thenApply(deleted -> Responses.noContent());
  }
}
