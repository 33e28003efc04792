package dev.dfcache.manager.rest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dfcache.manager.db.AuditRepository;
import dev.dfcache.manager.db.Database;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.http.javadsl.model.HttpResponse;

/** /api/v1/audits: the newest writes first. */
final class AuditResource {
  private final Database db;

  AuditResource(Database db) {
    this.db = db;
  }

  CompletionStage<HttpResponse> list(Call call) {
    int limit = (int) call.queryLong("limit", 1, 1000, 100);
    return db.query(c -> AuditRepository.recent(c, limit)).thenApply(rows -> {
      ArrayNode out = Json.MAPPER.createArrayNode();
      for (AuditRepository.Audit a : rows) {
        ObjectNode o = out.addObject()
            .put("id", a.id())
            .put("at", a.at())
            .put("actor", a.actor())
            .put("action", a.action())
            .put("target", a.target());
        o.set("detail", detail(a.detail()));
      }
      return Responses.ok(out);
    });
  }

  /** The body as it was sent (an object), or the text if some other writer stored plain text. */
  private static JsonNode detail(String text) {
    try {
      JsonNode node = Json.MAPPER.readTree(text);
      return node == null || node.isMissingNode() ? Json.MAPPER.getNodeFactory().textNode(text)
          : node;
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      return Json.MAPPER.getNodeFactory().textNode(text);
    }
  }
}
