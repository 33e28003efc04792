package dev.dfcache.common;

import java.util.Locale;
import java.util.Optional;

/** A whole-content digest a client named ("sha256:&lt;hex&gt;" or "md5:&lt;hex&gt;"). */
public record ContentDigest(String algorithm, String hex) {

  /** Parses "sha256:..." / "md5:..."; empty for anything that does not name content. */
  public static Optional<ContentDigest> parse(String s) {
    if (s == null) {
      return Optional.empty();
    }
    int colon = s.indexOf(':');
    if (colon <= 0) {
      return Optional.empty();
    }
    String alg = s.substring(0, colon).toLowerCase(Locale.ROOT);
    String hex = s.substring(colon + 1).toLowerCase(Locale.ROOT);
    int expectedLength = switch (alg) {
      case "sha256" -> 64;
      case "md5" -> 32;
      default -> -1;
    };
    if (expectedLength < 0 || hex.length() != expectedLength || !hex.matches("[0-9a-f]+")) {
      return Optional.empty();
    }
    return Optional.of(new ContentDigest(alg, hex));
  }

  /**
   * The digest a task's url and meta name its content by, if any: url_meta.digest when set (a
   * malformed one names nothing here), else a cid "sha256:&lt;hex&gt;". The task id is derived from
   * both, so such a task's bytes are fixed by its id.
   */
  public static Optional<ContentDigest> namedBy(String url, String metaDigest) {
    if (metaDigest != null && !metaDigest.isEmpty()) {
      return parse(metaDigest);
    }
    return parse(TaskIds.cidOf(url == null ? "" : url))
        .filter(d -> d.algorithm().equals("sha256"));
  }

  public String javaAlgorithm() {
    return algorithm.equals("sha256") ? "SHA-256" : "MD5";
  }

  @Override
  public String toString() {
    return algorithm + ":" + hex;
  }
}
