package dev.dfcache.manager.rest;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** The API's one ObjectMapper, and reading back the JSON objects the database keeps as text. */
public final class Json {
  /**
   * Strict: a key given twice or anything after the object is an error, not a silent choice of
   * one of two meanings.
   */
  static final ObjectMapper MAPPER = new ObjectMapper()
      .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  private Json() {}

  public static ObjectNode object() {
    return MAPPER.createObjectNode();
  }

  /** A stored JSON object column; only the API writes them, so a bad one is a server error. */
  static ObjectNode stored(String text) {
    try {
      JsonNode node = MAPPER.readTree(text == null || text.isBlank() ? "{}" : text);
      if (!node.isObject()) {
        throw new IllegalStateException("stored JSON is not an object: " + text);
      }
      return (ObjectNode) node;
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("stored JSON is not valid", e);
    }
  }

  public static String text(JsonNode node) {
    try {
      return MAPPER.writeValueAsString(node);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}
