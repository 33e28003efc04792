package dev.dfcache.manager.rest;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dfcache.dynconfig.ClientConfig;
import dev.dfcache.dynconfig.SchedulerConfig;
import dev.dfcache.dynconfig.Scopes;
import dev.dfcache.manager.db.AuditRepository;
import dev.dfcache.manager.db.ClusterRepository;
import dev.dfcache.manager.db.ClusterRow;
import dev.dfcache.manager.db.Database;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.headers.Location;

/** /api/v1/scheduler-clusters: list, get, create, and a PATCH that merges configuration keys. */
final class ClusterResource {
  private static final Set<String> CREATE_FIELDS =
      Set.of("name", "bio", "config", "client_config", "scopes");
  private static final Set<String> PATCH_FIELDS =
      Set.of("bio", "config", "client_config", "scopes");
  static final String PATH = "/api/v1/scheduler-clusters";

  private final Database db;

  ClusterResource(Database db) {
    this.db = db;
  }

  CompletionStage<HttpResponse> list(Call call) {
    return db.query(ClusterRepository::list).thenApply(rows -> {
      ArrayNode out = Json.MAPPER.createArrayNode();
      rows.forEach(r -> out.add(json(r)));
      return Responses.ok(out);
    });
  }

  CompletionStage<HttpResponse> get(Call call) {
    long id = call.id(0);
    return db.query(c -> ClusterRepository.get(c, id)).thenApply(row -> Responses.ok(json(
        row.orElseThrow(() -> notFound(id)))));
  }

  CompletionStage<HttpResponse> create(Call call) {
    ObjectNode body = JsonBodies.parse(call.body(), CREATE_FIELDS);
    String name = JsonBodies.name(body, "name");
    String bio = JsonBodies.optionalString(body, "bio", 1024, "");
    ObjectNode config = orEmpty(JsonBodies.optionalObject(body, "config"));
    ObjectNode clientConfig = orEmpty(JsonBodies.optionalObject(body, "client_config"));
    ObjectNode scopes = orEmpty(JsonBodies.optionalObject(body, "scopes"));
    validate(config, clientConfig, scopes);
    String detail = JsonBodies.auditDetail(body);
    return db.transaction(c -> {
      ClusterRow row;
      try {
        row = ClusterRepository.create(c, name, bio, Json.text(config), Json.text(clientConfig),
            Json.text(scopes), false);
      } catch (Database.DatabaseException e) {
        if (e.uniqueViolation()) {
          throw ApiError.conflict("a scheduler cluster named " + name + " already exists");
        }
        throw e;
      }
      AuditRepository.record(c, call.user().name(), "scheduler-cluster.create",
          "scheduler-cluster/" + row.id(), detail);
      return row;
    }).thenApply(row -> Responses.created(json(row))
        .addHeader(Location.create(PATH + "/" + row.id())));
  }

  /**
   * Merges each given object into the stored one (a key set to null is removed) and checks the
   * result as a whole, in one transaction with the row locked: a refused PATCH writes nothing and
   * two PATCHes at once both keep their keys. The repository bumps config_version.
   */
  CompletionStage<HttpResponse> patch(Call call) {
    long id = call.id(0);
    ObjectNode body = JsonBodies.parse(call.body(), PATCH_FIELDS);
    String bio = JsonBodies.optionalString(body, "bio", 1024, null);
    ObjectNode config = JsonBodies.optionalObject(body, "config");
    ObjectNode clientConfig = JsonBodies.optionalObject(body, "client_config");
    ObjectNode scopes = JsonBodies.optionalObject(body, "scopes");
    // the patches alone first: an unknown key is refused even when set to null (a typo)
    validate(orEmpty(config), orEmpty(clientConfig), orEmpty(scopes));
    String detail = JsonBodies.auditDetail(body);
    return db.transaction(c -> {
      ClusterRow row = ClusterRepository.getForUpdate(c, id).orElseThrow(() -> notFound(id));
      ObjectNode newConfig = merged(row.config(), config);
      ObjectNode newClientConfig = merged(row.clientConfig(), clientConfig);
      ObjectNode newScopes = merged(row.scopes(), scopes);
      validate(newConfig, newClientConfig, newScopes);
      ClusterRow updated = ClusterRepository.update(c, id, bio,
          config == null ? null : Json.text(newConfig),
          clientConfig == null ? null : Json.text(newClientConfig),
          scopes == null ? null : Json.text(newScopes)).orElseThrow(() -> notFound(id));
      AuditRepository.record(c, call.user().name(), "scheduler-cluster.patch",
          "scheduler-cluster/" + id, detail);
      return updated;
    }).thenApply(row -> Responses.ok(json(row)));
  }

  /** @throws dev.dfcache.dynconfig.InvalidConfigException naming the bad key (a 400) */
  private static void validate(ObjectNode config, ObjectNode clientConfig, ObjectNode scopes) {
    SchedulerConfig.of(config);
    ClientConfig.of(clientConfig);
    Scopes.of(scopes);
  }

  private static ObjectNode merged(String stored, ObjectNode patch) {
    ObjectNode current = Json.stored(stored);
    return patch == null ? current : JsonBodies.merge(current, patch);
  }

  private static ObjectNode orEmpty(ObjectNode node) {
    return node == null ? Json.object() : node;
  }

  /** The cluster of that id (0 = the default cluster), or a 404. */
  static ClusterRow givenOrDefault(java.sql.Connection c, long id) throws java.sql.SQLException {
    if (id > 0) {
      return ClusterRepository.get(c, id).orElseThrow(() -> notFound(id));
    }
    return ClusterRepository.list(c).stream().filter(ClusterRow::isDefault).findFirst()
        .orElseThrow(() -> ApiError.notFound("no default scheduler cluster"));
  }

  static ApiError notFound(long id) {
    return ApiError.notFound("scheduler cluster " + id + " not found");
  }

  static ObjectNode json(ClusterRow r) {
    ObjectNode o = Json.object();
    o.put("id", r.id());
    o.put("name", r.name());
    o.put("bio", r.bio());
    o.set("config", Json.stored(r.config()));
    o.set("client_config", Json.stored(r.clientConfig()));
    o.set("scopes", Json.stored(r.scopes()));
    o.put("is_default", r.isDefault());
    o.put("config_version", r.configVersion());
    o.put("created_at", r.createdAt());
    o.put("updated_at", r.updatedAt());
    return o;
  }
}
