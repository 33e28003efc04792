package dev.dfcache.dynconfig;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Where a scheduler cluster applies ({@code scopes}): components of that IDC or location, or
 * with an address in one of its CIDRs, belong to it unless they name a cluster themselves.
 */
public record Scopes(String idc, String location, List<String> cidrs) {
  static final String WHAT = "scopes";
  static final Map<String, ConfigKeys.Key> KEYS = Map.of(
      "idc", new ConfigKeys.Key("idc", 0, 0, ""),
      "location", new ConfigKeys.Key("location", 0, 0, ""),
      "cidrs", new ConfigKeys.Key("cidrs", 0, 0, ""));

  public static final Scopes NONE = new Scopes("", "", List.of());

  /** @throws InvalidConfigException */
  public static Scopes parse(String json) {
    return of(ConfigKeys.parseObject(WHAT, json));
  }

  public static Scopes of(ObjectNode node) {
    ConfigKeys.onlyKnown(WHAT, node, KEYS);
    List<String> cidrs = new ArrayList<>();
    JsonNode c = node.get("cidrs");
    if (c != null && !c.isNull()) {
      if (!c.isArray()) {
        throw new InvalidConfigException("scopes.cidrs must be an array of CIDRs");
      }
      for (JsonNode e : c) {
        if (!e.isTextual() || Cidr.parse(e.asText()) == null) {
          throw new InvalidConfigException("scopes.cidrs: not a CIDR: " + e);
        }
        cidrs.add(e.asText());
      }
    }
    return new Scopes(text(node, "idc"), text(node, "location"), List.copyOf(cidrs));
  }

  private static String text(ObjectNode node, String name) {
    JsonNode v = node.get(name);
    if (v == null || v.isNull()) {
      return "";
    }
    if (!v.isTextual() || v.asText().length() > 128) {
      throw new InvalidConfigException("scopes." + name + " must be a string (at most 128)");
    }
    return v.asText();
  }

  /**
   * How well a component matches (Dragonfly's weights: CIDR 0.3, IDC 0.25, location 0.14); 0
   * when nothing matches.
   */
  public double score(String ip, String componentIdc, String componentLocation) {
    double s = 0;
    for (String cidr : cidrs) {
      if (Cidr.parse(cidr).contains(ip)) {
        s += 0.3;
        break;
      }
    }
    if (!idc.isEmpty() && idc.equals(componentIdc)) {
      s += 0.25;
    }
    if (!location.isEmpty() && componentLocation.startsWith(location)) {
      s += 0.14;
    }
    return s;
  }

  /** An IPv4 or IPv6 network. */
  record Cidr(byte[] network, int bits) {
    static Cidr parse(String s) {
      int slash = s.indexOf('/');
      if (slash < 0) {
        return null;
      }
      try {
        byte[] net = java.net.InetAddress.getByName(s.substring(0, slash)).getAddress();
        int bits = Integer.parseInt(s.substring(slash + 1));
        if (!s.substring(0, slash).matches("[0-9a-fA-F:.]+") || bits < 0
            || bits > net.length * 8) {
          return null;
        }
        return new Cidr(net, bits);
      } catch (java.net.UnknownHostException | NumberFormatException e) {
        return null;
      }
    }

    boolean contains(String ip) {
      byte[] a;
      try {
        if (!ip.matches("[0-9a-fA-F:.]+")) {
          return false;
        }
        a = java.net.InetAddress.getByName(ip).getAddress();
      } catch (java.net.UnknownHostException e) {
        return false;
      }
      if (a.length != network.length) {
        return false;
      }
      for (int i = 0; i < bits; i++) {
        int mask = 0x80 >> (i % 8);
        if ((a[i / 8] & mask) != (network[i / 8] & mask)) {
          return false;
        }
      }
      return true;
    }
  }
}
