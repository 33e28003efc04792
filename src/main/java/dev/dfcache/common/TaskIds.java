package dev.dfcache.common;

import dev.dfcache.api.common.UrlMeta;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Task identity exactly as Dragonfly derives it (API.md "Task id"): sha256 over url, digest,
 * range, tag and application, each appended only when non-empty, with filtered query keys
 * removed from the url first. dfcache's url is "d7y:/" + the cid, query-escaped like Go's
 * url.QueryEscape.
 */
public final class TaskIds {
  public static final String SCHEME_PREFIX = "d7y:/";
  /** Upper bounds that keep ids and tags from growing without limit (API.md "Bad input"). */
  public static final int MAX_CID_BYTES = 4096;

  public static final int MAX_META_BYTES = 1024;
  private static final Pattern TASK_ID = Pattern.compile("^[0-9a-f]{64}$");

  private TaskIds() {}

  /** The url a dfcache client sends for a cid. */
  public static String urlForCid(String cid) {
    return SCHEME_PREFIX + queryEscape(cid);
  }

  public static String taskId(String url, UrlMeta meta) {
    StringBuilder sb = new StringBuilder(filterUrl(url, meta.getFilter()));
    appendIfPresent(sb, meta.getDigest());
    appendIfPresent(sb, meta.getRange());
    appendIfPresent(sb, meta.getTag());
    appendIfPresent(sb, meta.getApplication());
    return Digests.sha256Hex(sb.toString().getBytes(StandardCharsets.UTF_8));
  }

  /** Checks a url and meta from a client and returns the task id, or fails with BadRequest. */
  public static String validatedTaskId(String url, UrlMeta meta) {
    if (url == null || url.isBlank()) {
      throw DfException.badRequest("cid must not be empty");
    }
    if (url.getBytes(StandardCharsets.UTF_8).length > MAX_CID_BYTES) {
      throw DfException.badRequest("cid is longer than " + MAX_CID_BYTES + " bytes");
    }
    if (url.startsWith(SCHEME_PREFIX) && cidOf(url).isBlank()) {
      throw DfException.badRequest("cid must not be empty");
    }
    for (String part :
        new String[] {meta.getTag(), meta.getDigest(), meta.getRange(), meta.getApplication()}) {
      if (part.getBytes(StandardCharsets.UTF_8).length > MAX_META_BYTES) {
        throw DfException.badRequest("tag, digest, range and application are limited to "
            + MAX_META_BYTES + " bytes each");
      }
    }
    return taskId(url, meta);
  }

  public static boolean isValidTaskId(String id) {
    return id != null && TASK_ID.matcher(id).matches();
  }

  public static String requireValidTaskId(String id) {
    if (!isValidTaskId(id)) {
      throw DfException.badRequest("task id must be 64 lowercase hex characters");
    }
    return id;
  }

  /** The cid inside a dfcache url, for messages and for the sha256:&lt;hex&gt; content check. */
  public static String cidOf(String url) {
    if (!url.startsWith(SCHEME_PREFIX)) {
      return url;
    }
    String escaped = url.substring(SCHEME_PREFIX.length());
    try {
      return java.net.URLDecoder.decode(escaped, StandardCharsets.UTF_8);
    } catch (IllegalArgumentException malformedEscape) {
      return escaped;
    }
  }

  private static void appendIfPresent(StringBuilder sb, String part) {
    if (part != null && !part.isEmpty()) {
      sb.append(part);
    }
  }

  /** Removes the query keys named in filter ("&"-separated), as Dragonfly does. */
  static String filterUrl(String url, String filter) {
    int q = url.indexOf('?');
    if (filter == null || filter.isBlank() || q < 0) {
      return url;
    }
    Set<String> drop = new HashSet<>(Arrays.asList(filter.split("&")));
    StringBuilder kept = new StringBuilder();
    for (String pair : url.substring(q + 1).split("&")) {
      String key = pair.contains("=") ? pair.substring(0, pair.indexOf('=')) : pair;
      if (!drop.contains(key)) {
        kept.append(kept.length() == 0 ? "" : "&").append(pair);
      }
    }
    return kept.length() == 0 ? url.substring(0, q) : url.substring(0, q + 1) + kept;
  }

  /** Go's url.QueryEscape: space to '+', A-Z a-z 0-9 - _ . ~ kept, every other byte %XX. */
  public static String queryEscape(String s) {
    byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
    StringBuilder sb = new StringBuilder(bytes.length * 3);
    for (byte b : bytes) {
      int c = b & 0xff;
      if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
          || c == '-' || c == '_' || c == '.' || c == '~') {
        sb.append((char) c);
      } else if (c == ' ') {
        sb.append('+');
      } else {
        sb.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
            .append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
      }
    }
    return sb.toString();
  }
}
