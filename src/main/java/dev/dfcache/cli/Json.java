package dev.dfcache.cli;

/** A flat JSON object from key/value pairs; enough for the CLI's one-line results. */
final class Json {
  private Json() {}

  static String object(Object... keyValues) {
    StringBuilder sb = new StringBuilder("{");
    for (int i = 0; i + 1 < keyValues.length; i += 2) {
      if (i > 0) {
        sb.append(',');
      }
      sb.append(quote(String.valueOf(keyValues[i]))).append(':');
      Object v = keyValues[i + 1];
      sb.append(v instanceof Number || v instanceof Boolean || v instanceof Raw
          ? v.toString() : quote(String.valueOf(v)));
    }
    return sb.append('}').toString();
  }

  /** Already JSON (an array or object), written as it is. */
  record Raw(String json) {
    @Override
    public String toString() {
      return json;
    }
  }

  static Raw array(java.util.List<String> jsonValues) {
    return new Raw("[" + String.join(",", jsonValues) + "]");
  }

  static String quote(String s) {
    StringBuilder sb = new StringBuilder("\"");
    for (char c : s.toCharArray()) {
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        case '\t' -> sb.append("\\t");
        default -> {
          if (c < 0x20) {
            sb.append(String.format("\\u%04x", (int) c));
          } else {
            sb.append(c);
          }
        }
      }
    }
    return sb.append('"').toString();
  }
}
