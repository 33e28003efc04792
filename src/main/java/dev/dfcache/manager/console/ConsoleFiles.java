package dev.dfcache.manager.console;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpCharsets;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpMethods;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.Allow;
import org.apache.pekko.http.javadsl.model.headers.CacheControl;
import org.apache.pekko.http.javadsl.model.headers.CacheDirectives;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;

/**
 * The manager's web console: a few static files kept in the jar (under {@code console/}) and
 * served at {@code /} and {@code /console/NAME}. Only the names listed here are served, read
 * once at start: a request can never name another resource or file (no path traversal), and a
 * jar missing one of them fails the start, not a browser later.
 */
public final class ConsoleFiles {
  /** The page itself; /console/ paths are its script and style sheet. */
  private static final String INDEX = "index.html";
  private static final String PREFIX = "/console/";
  private static final Map<String, ContentType> TYPES = Map.of(
      INDEX, ContentTypes.TEXT_HTML_UTF8,
      "app.js", MediaTypes.APPLICATION_JAVASCRIPT.toContentType(HttpCharsets.UTF_8),
      "app.css", MediaTypes.TEXT_CSS.toContentType(HttpCharsets.UTF_8));
  /**
   * Everything from the manager's own origin and nothing inline: a value a component reported
   * (a host name, say) that slipped into the page as markup could not run. The app draws its
   * charts as SVG elements through the DOM, which this allows.
   */
  static final String CSP = "default-src 'self'; script-src 'self'; style-src 'self'; "
      + "img-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
      + "form-action 'self'; frame-ancestors 'none'";

  private final Map<String, byte[]> files;

  private ConsoleFiles(Map<String, byte[]> files) {
    this.files = files;
  }

  /** Reads the files from the classpath. @throws UncheckedIOException if one is missing */
  public static ConsoleFiles load() {
    Map<String, byte[]> files = new java.util.HashMap<>();
    for (String name : TYPES.keySet()) {
      try (InputStream in = ConsoleFiles.class.getResourceAsStream("/console/" + name)) {
        if (in == null) {
          throw new UncheckedIOException(new IOException(
              "console file console/" + name + " is missing from the jar"));
        }
        files.put(name, in.readAllBytes());
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return new ConsoleFiles(Map.copyOf(files));
  }

  /** Whether the path is the console's (the rest, /api/v1 included, is someone else's). */
  public static boolean owns(String path) {
    return path.equals("/") || path.startsWith(PREFIX);
  }

  /** The answer to a request whose path {@link #owns} says is the console's. */
  public HttpResponse respond(HttpRequest request) {
    String path = request.getUri().path();
    String name = path.equals("/") ? INDEX : path.substring(PREFIX.length());
    byte[] body = files.get(name);
    if (body == null) {
      return plain(StatusCodes.NOT_FOUND, "not found\n");
    }
    // the server never sends a body in answer to HEAD: the same response serves both
    if (!request.method().equals(HttpMethods.GET) && !request.method().equals(HttpMethods.HEAD)) {
      return plain(StatusCodes.METHOD_NOT_ALLOWED, "only GET and HEAD\n")
          .addHeader(Allow.create(HttpMethods.GET, HttpMethods.HEAD));
    }
    return secured(HttpResponse.create()
        .withEntity(HttpEntities.create(TYPES.get(name), body)));
  }

  private static HttpResponse plain(org.apache.pekko.http.javadsl.model.StatusCode status,
      String text) {
    return secured(HttpResponse.create().withStatus(status)
        .withEntity(HttpEntities.create(ContentTypes.TEXT_PLAIN_UTF8, text)));
  }

  /**
   * no-cache: a browser revalidates, so a manager upgraded serves its new script at once;
   * nosniff: a file is only ever run or styled as the type given here.
   */
  private static HttpResponse secured(HttpResponse response) {
    return response
        .addHeader(CacheControl.create(CacheDirectives.NO_CACHE))
        .addHeader(RawHeader.create("Content-Security-Policy", CSP))
        .addHeader(RawHeader.create("X-Content-Type-Options", "nosniff"))
        .addHeader(RawHeader.create("Referrer-Policy", "no-referrer"));
  }
}
