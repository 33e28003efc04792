package dev.dfcache.manager.rest;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Reads request bodies: a JSON object with only the fields a call knows, each of the right type
 * and size. Everything is checked before any write, and every refusal names the field, so a typo
 * is an error rather than a change that silently did not happen.
 */
final class JsonBodies {
  /** Names of clusters and users: safe in paths, logs and audit targets. */
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]{1,128}");

  private JsonBodies() {}

  /** The body as an object having no field outside {@code allowed}. */
  static ObjectNode parse(byte[] body, Set<String> allowed) {
    if (body.length == 0) {
      throw ApiError.badRequest("a JSON object body is required");
    }
    JsonNode node;
    try {
      node = Json.MAPPER.readTree(body);
    } catch (JsonProcessingException e) {
      throw ApiError.badRequest("malformed JSON: " + e.getOriginalMessage());
    } catch (IOException e) {
      throw ApiError.badRequest("malformed JSON");
    }
    if (node == null || !node.isObject()) {
      throw ApiError.badRequest("the body must be a JSON object");
    }
    List<String> unknown = new ArrayList<>();
    node.fieldNames().forEachRemaining(f -> {
      if (!allowed.contains(f)) {
        unknown.add(f);
      }
    });
    if (!unknown.isEmpty()) {
      throw ApiError.badRequest("unknown field" + (unknown.size() > 1 ? "s " : " ")
          + String.join(", ", unknown) + " (known: " + String.join(", ", allowed) + ")");
    }
    return (ObjectNode) node;
  }

  static String requiredString(ObjectNode body, String field, int maxLength) {
    String s = optionalString(body, field, maxLength, null);
    if (s == null || s.isEmpty()) {
      throw ApiError.badRequest(field + " is required");
    }
    return s;
  }

  static String optionalString(ObjectNode body, String field, int maxLength, String absent) {
    JsonNode v = body.get(field);
    if (v == null) {
      return absent;
    }
    if (!v.isTextual()) {
      throw ApiError.badRequest(field + " must be a string");
    }
    if (v.asText().length() > maxLength) {
      throw ApiError.badRequest(field + " must be at most " + maxLength + " characters");
    }
    return v.asText();
  }

  /** A cluster or user name: 1..128 of letters, digits, '.', '_', '-'. */
  static String name(ObjectNode body, String field) {
    String s = requiredString(body, field, 128);
    if (!NAME.matcher(s).matches()) {
      throw ApiError.badRequest(field + " must be 1 to 128 characters of A-Z a-z 0-9 . _ -");
    }
    return s;
  }

  /** An object field, or null when absent; JSON null is refused (say {} to mean "empty"). */
  static ObjectNode optionalObject(ObjectNode body, String field) {
    JsonNode v = body.get(field);
    if (v == null) {
      return null;
    }
    if (!v.isObject()) {
      throw ApiError.badRequest(field + " must be a JSON object");
    }
    return (ObjectNode) v;
  }

  static long optionalLong(ObjectNode body, String field, long min, long max, long absent) {
    JsonNode v = body.get(field);
    if (v == null) {
      return absent;
    }
    if (!v.isIntegralNumber() || !v.canConvertToLong() || v.asLong() < min
        || v.asLong() > max) {
      throw ApiError.badRequest(field + " must be a whole number within " + min + ".." + max);
    }
    return v.asLong();
  }

  /**
   * {@code patch}'s keys merged into {@code stored} (a copy): a key set to null is removed, any
   * other value replaces the stored one (objects and arrays whole, as RFC 7386 at the top level).
   */
  static ObjectNode merge(ObjectNode stored, ObjectNode patch) {
    ObjectNode out = stored.deepCopy();
    for (Iterator<Map.Entry<String, JsonNode>> it = patch.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      if (e.getValue().isNull()) {
        out.remove(e.getKey());
      } else {
        out.set(e.getKey(), e.getValue().deepCopy());
      }
    }
    return out;
  }

  /** What the audit log keeps of a body: all of it but passwords. */
  static String auditDetail(ObjectNode body) {
    ObjectNode copy = body == null ? Json.object() : body.deepCopy();
    stripPasswords(copy);
    return Json.text(copy);
  }

  private static void stripPasswords(JsonNode node) {
    if (node instanceof ObjectNode o) {
      o.remove("password");
      o.forEach(JsonBodies::stripPasswords);
    } else if (node.isArray()) {
      node.forEach(JsonBodies::stripPasswords);
    }
  }
}
