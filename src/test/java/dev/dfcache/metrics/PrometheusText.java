package dev.dfcache.metrics;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * A strict reader of the Prometheus text exposition format (version 0.0.4), for tests: it
 * rejects what a Prometheus server would reject (bad names, bad escapes, unparsable values,
 * duplicate series, samples outside their family, TYPE after samples) and checks the shape of
 * histograms (cumulative buckets ending in +Inf, _count equal to the +Inf bucket) and summaries.
 */
public final class PrometheusText {
  private static final Pattern METRIC_NAME = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");
  private static final Pattern LABEL_NAME = Pattern.compile("[a-zA-Z_][a-zA-Z0-9_]*");
  private static final Set<String> TYPES =
      Set.of("counter", "gauge", "histogram", "summary", "untyped");

  public record Sample(String name, Map<String, String> labels, double value) {}

  public record Family(String name, String type, String help, List<Sample> samples) {}

  private final Map<String, Family> families;

  private PrometheusText(Map<String, Family> families) {
    this.families = families;
  }

  public Map<String, Family> families() {
    return families;
  }

  /** The value of one series, or NaN when it is absent. */
  public double value(String name, Map<String, String> labels) {
    for (Family f : families.values()) {
      for (Sample s : f.samples()) {
        if (s.name().equals(name) && s.labels().equals(new TreeMap<>(labels))) {
          return s.value();
        }
      }
    }
    return Double.NaN;
  }

  public double value(String name) {
    return value(name, Map.of());
  }

  /** Sum over every series of a sample name whose labels include {@code match}. */
  public double sum(String name, Map<String, String> match) {
    double total = 0;
    for (Family f : families.values()) {
      for (Sample s : f.samples()) {
        if (s.name().equals(name) && s.labels().entrySet().containsAll(match.entrySet())) {
          total += s.value();
        }
      }
    }
    return total;
  }

  public static PrometheusText parse(String text) {
    if (!text.isEmpty() && !text.endsWith("\n")) {
      throw new IllegalArgumentException("exposition must end with a newline");
    }
    Map<String, Family> families = new LinkedHashMap<>();
    Map<String, String> types = new LinkedHashMap<>();
    Map<String, String> helps = new LinkedHashMap<>();
    Set<String> closed = new HashSet<>();
    Set<String> seen = new HashSet<>();
    String current = null;
    int lineNo = 0;
    for (String line : text.split("\n", -1)) {
      lineNo++;
      if (line.isEmpty()) {
        continue;
      }
      String where = "line " + lineNo + ": " + line;
      if (line.startsWith("#")) {
        String[] parts = line.split(" ", 4);
        if (parts.length >= 3 && (parts[1].equals("HELP") || parts[1].equals("TYPE"))) {
          String name = parts[2];
          require(METRIC_NAME.matcher(name).matches(), "bad metric name", where);
          if (parts[1].equals("TYPE")) {
            require(parts.length == 4 && TYPES.contains(parts[3]), "bad TYPE", where);
            require(!types.containsKey(name), "second TYPE for " + name, where);
            require(!families.containsKey(name) || families.get(name).samples().isEmpty(),
                "TYPE after samples of " + name, where);
            types.put(name, parts[3]);
          } else {
            require(!helps.containsKey(name), "second HELP for " + name, where);
            String help = parts.length == 4 ? parts[3] : "";
            checkEscapes(help, false, where);
            helps.put(name, help);
          }
          if (!name.equals(current)) {
            require(!closed.contains(name), "family " + name + " is not contiguous", where);
            if (current != null) {
              closed.add(current);
            }
            current = name;
          }
          families.putIfAbsent(name, new Family(name, "untyped", "", new ArrayList<>()));
        }
        continue;
      }
      Sample sample = parseSample(line, where);
      String family = familyOf(sample.name(), types);
      if (!family.equals(current)) {
        require(!closed.contains(family), "family " + family + " is not contiguous", where);
        if (current != null) {
          closed.add(current);
        }
        current = family;
      }
      String series = sample.name() + sample.labels();
      require(seen.add(series), "duplicate series " + series, where);
      families.computeIfAbsent(family, n -> new Family(n, "untyped", "", new ArrayList<>()))
          .samples().add(sample);
    }
    Map<String, Family> out = new LinkedHashMap<>();
    for (Family f : families.values()) {
      Family typed = new Family(f.name(), types.getOrDefault(f.name(), "untyped"),
          helps.getOrDefault(f.name(), ""), List.copyOf(f.samples()));
      checkShape(typed);
      out.put(f.name(), typed);
    }
    return new PrometheusText(out);
  }

  /** The family a sample belongs to: its own name, or the name less a type's suffix. */
  private static String familyOf(String sample, Map<String, String> types) {
    if (types.containsKey(sample)) {
      return sample;
    }
    for (String suffix : List.of("_bucket", "_count", "_sum", "_created", "_total")) {
      if (sample.endsWith(suffix)) {
        String base = sample.substring(0, sample.length() - suffix.length());
        String type = types.get(base);
        if (type != null && (type.equals("histogram") || type.equals("summary")
            || (type.equals("counter") && (suffix.equals("_total") || suffix.equals("_created"))))) {
          return base;
        }
      }
    }
    return sample;
  }

  private static Sample parseSample(String line, String where) {
    int i = 0;
    int n = line.length();
    while (i < n && line.charAt(i) != '{' && line.charAt(i) != ' ') {
      i++;
    }
    String name = line.substring(0, i);
    require(METRIC_NAME.matcher(name).matches(), "bad metric name", where);
    Map<String, String> labels = new TreeMap<>();
    if (i < n && line.charAt(i) == '{') {
      i++;
      while (true) {
        require(i < n, "unterminated labels", where);
        if (line.charAt(i) == '}') {
          i++;
          break;
        }
        int eq = line.indexOf('=', i);
        require(eq > i, "label without '='", where);
        String label = line.substring(i, eq);
        require(LABEL_NAME.matcher(label).matches(), "bad label name '" + label + "'", where);
        require(eq + 1 < n && line.charAt(eq + 1) == '"', "label value must be quoted", where);
        StringBuilder value = new StringBuilder();
        int j = eq + 2;
        while (true) {
          require(j < n, "unterminated label value", where);
          char c = line.charAt(j);
          if (c == '\\') {
            require(j + 1 < n, "dangling escape", where);
            char e = line.charAt(j + 1);
            require(e == '\\' || e == '"' || e == 'n', "bad escape \\" + e, where);
            value.append(e == 'n' ? '\n' : e);
            j += 2;
          } else if (c == '"') {
            j++;
            break;
          } else {
            value.append(c);
            j++;
          }
        }
        require(labels.put(label, value.toString()) == null, "duplicate label " + label, where);
        i = j;
        require(i < n, "unterminated labels", where);
        if (line.charAt(i) == ',') {
          i++;
        } else {
          require(line.charAt(i) == '}', "expected ',' or '}'", where);
        }
      }
    }
    require(i < n && line.charAt(i) == ' ', "expected a space before the value", where);
    String[] rest = line.substring(i + 1).trim().split(" +");
    require(rest.length == 1 || rest.length == 2, "expected value [timestamp]", where);
    double value = parseValue(rest[0], where);
    if (rest.length == 2) {
      try {
        Long.parseLong(rest[1]);
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("bad timestamp, " + where);
      }
    }
    return new Sample(name, labels, value);
  }

  private static double parseValue(String s, String where) {
    switch (s) {
      case "NaN":
        return Double.NaN;
      case "+Inf":
        return Double.POSITIVE_INFINITY;
      case "-Inf":
        return Double.NEGATIVE_INFINITY;
      default:
        try {
          require(!s.contains("Infinity") && !s.endsWith("d") && !s.endsWith("f"),
              "bad value " + s, where);
          return Double.parseDouble(s);
        } catch (NumberFormatException e) {
          throw new IllegalArgumentException("bad value '" + s + "', " + where);
        }
    }
  }

  private static void checkEscapes(String s, boolean quotes, String where) {
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) == '\\') {
        require(i + 1 < s.length(), "dangling escape", where);
        char e = s.charAt(i + 1);
        require(e == '\\' || e == 'n' || (quotes && e == '"'), "bad escape \\" + e, where);
        i++;
      }
    }
  }

  private static void checkShape(Family f) {
    String where = "family " + f.name();
    switch (f.type()) {
      case "counter" -> {
        for (Sample s : f.samples()) {
          if (!s.name().endsWith("_created")) {
            require(s.value() >= 0 || Double.isNaN(s.value()), "negative counter", where);
          }
        }
      }
      case "histogram" -> {
        Map<Map<String, String>, List<Sample>> buckets = new LinkedHashMap<>();
        Map<Map<String, String>, Double> counts = new LinkedHashMap<>();
        for (Sample s : f.samples()) {
          if (s.name().equals(f.name() + "_bucket")) {
            require(s.labels().containsKey("le"), "bucket without le", where);
            Map<String, String> key = new TreeMap<>(s.labels());
            key.remove("le");
            buckets.computeIfAbsent(key, k -> new ArrayList<>()).add(s);
          } else if (s.name().equals(f.name() + "_count")) {
            counts.put(s.labels(), s.value());
          } else {
            require(s.name().equals(f.name() + "_sum") || s.name().equals(f.name() + "_created"),
                "unexpected sample " + s.name(), where);
          }
        }
        for (var e : buckets.entrySet()) {
          double lastLe = Double.NEGATIVE_INFINITY;
          double lastCount = 0;
          for (Sample b : e.getValue()) {
            double le = parseValue(b.labels().get("le"), where);
            require(le > lastLe, "buckets not in increasing le order", where);
            require(b.value() >= lastCount, "bucket counts are not cumulative", where);
            lastLe = le;
            lastCount = b.value();
          }
          require(lastLe == Double.POSITIVE_INFINITY, "no +Inf bucket", where);
          Double count = counts.get(e.getKey());
          require(count != null && count == lastCount, "_count differs from the +Inf bucket",
              where);
        }
      }
      case "summary" -> {
        for (Sample s : f.samples()) {
          if (s.name().equals(f.name())) {
            require(s.labels().containsKey("quantile"), "summary sample without quantile", where);
          } else {
            require(s.name().equals(f.name() + "_count") || s.name().equals(f.name() + "_sum")
                || s.name().equals(f.name() + "_created"), "unexpected sample " + s.name(), where);
          }
        }
      }
      default -> {
        for (Sample s : f.samples()) {
          require(s.name().equals(f.name()), "sample " + s.name() + " outside its family", where);
        }
      }
    }
  }

  private static void require(boolean ok, String what, String where) {
    if (!ok) {
      throw new IllegalArgumentException(what + " (" + where + ")");
    }
  }
}
