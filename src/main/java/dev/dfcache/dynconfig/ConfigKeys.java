package dev.dfcache.dynconfig;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Reads a cluster configuration object (JSON) against the keys it may have: unknown keys and
 * values of the wrong type or out of range are refused with a message that names them, so a typo
 * in a PATCH never silently does nothing.
 */
final class ConfigKeys {
  static final ObjectMapper JSON = new ObjectMapper();

  /** A key, its meaning, and its bounds (inclusive). */
  record Key(String name, long min, long max, String unit) {}

  private ConfigKeys() {}

  static ObjectNode parseObject(String what, String json) {
    JsonNode node;
    try {
      node = JSON.readTree(json.isBlank() ? "{}" : json);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new InvalidConfigException(what + " is not valid JSON: " + e.getOriginalMessage());
    }
    return object(what, node);
  }

  static ObjectNode object(String what, JsonNode node) {
    if (node == null || node.isNull()) {
      return JSON.createObjectNode();
    }
    if (!node.isObject()) {
      throw new InvalidConfigException(what + " must be a JSON object");
    }
    return (ObjectNode) node;
  }

  /** Refuses keys not in {@code known}. */
  static void onlyKnown(String what, ObjectNode node, Map<String, Key> known) {
    List<String> unknown = new ArrayList<>();
    node.fieldNames().forEachRemaining(f -> {
      if (!known.containsKey(f)) {
        unknown.add(f);
      }
    });
    if (!unknown.isEmpty()) {
      throw new InvalidConfigException(what + ": unknown key" + (unknown.size() > 1 ? "s " : " ")
          + String.join(", ", unknown) + " (known: " + String.join(", ", known.keySet()) + ")");
    }
  }

  /** An integral value within the key's bounds, or {@code fallback} when absent. */
  static long integer(String what, ObjectNode node, Key key, long fallback) {
    JsonNode v = node.get(key.name());
    if (v == null || v.isNull()) {
      return fallback;
    }
    if (!v.isIntegralNumber() || v.asLong() < key.min() || v.asLong() > key.max()) {
      throw new InvalidConfigException(what + "." + key.name() + " must be a whole number of "
          + key.unit() + " within " + key.min() + ".." + key.max());
    }
    return v.asLong();
  }

  /** A fraction within [0, 1], or {@code fallback} when absent. */
  static double fraction(String what, ObjectNode node, String name, double fallback) {
    JsonNode v = node.get(name);
    if (v == null || v.isNull()) {
      return fallback;
    }
    if (!v.isNumber() || v.asDouble() <= 0 || v.asDouble() > 1) {
      throw new InvalidConfigException(what + "." + name + " must be a number in (0, 1]");
    }
    return v.asDouble();
  }
}
