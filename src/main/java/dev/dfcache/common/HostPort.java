package dev.dfcache.common;

import java.util.ArrayList;
import java.util.List;

/** "host:port" as given on command lines and in config. */
public record HostPort(String host, int port) {

  public static HostPort parse(String s) {
    String trimmed = s.trim();
    int colon = trimmed.lastIndexOf(':');
    if (colon <= 0 || colon == trimmed.length() - 1) {
      throw new IllegalArgumentException("expected host:port, got '" + s + "'");
    }
    try {
      int port = Integer.parseInt(trimmed.substring(colon + 1));
      if (port <= 0 || port > 65535) {
        throw new IllegalArgumentException("port out of range in '" + s + "'");
      }
      return new HostPort(trimmed.substring(0, colon), port);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("expected host:port, got '" + s + "'");
    }
  }

  public static List<HostPort> parseList(String csv) {
    List<HostPort> out = new ArrayList<>();
    for (String part : csv.split(",")) {
      if (!part.isBlank()) {
        out.add(parse(part));
      }
    }
    return out;
  }

  @Override
  public String toString() {
    return host + ":" + port;
  }
}
