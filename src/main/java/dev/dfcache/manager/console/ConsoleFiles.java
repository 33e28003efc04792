package dev.dfcache.manager.console;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.List;
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
 * served at {@code /} and {@code /console/NAME}: the page, its style sheet and its script, ES
 * modules that import one another by relative paths (no build step). Only the names listed here
 * are served, read once at start: a request can never name another resource or file (no path
 * traversal), and a jar missing one of them fails the start, not a browser later.
 */
public final class ConsoleFiles {
  /** The page itself; /console/ paths are its script modules and style sheet. */
  private static final String INDEX = "index.html";
  private static final String PREFIX = "/console/";
  /**
   * Every file of the console. A module added to src/main/resources/console is served only
   * once listed here (ConsoleFilesTest fails until it is, and when an import names a file
   * not listed).
   */
  static final List<String> NAMES = List.of(
      INDEX,
      "app.css",
      "app.js", // the entry module: it imports the rest
      "js/api.js",
      "js/banner.js",
      "js/charts.js",
      "js/dom.js",
      "js/format.js",
      "js/metrics.js",
      "js/router.js",
      "js/session.js",
      "js/pages/audits.js",
      "js/pages/config.js",
      "js/pages/jobs.js",
      "js/pages/overview.js",
      "js/pages/peers.js",
      "js/pages/schedulers.js",
      "js/pages/signin.js",
      "js/pages/tasks.js",
      "js/pages/tokens.js");
  /**
   * By the name's ending. A module needs a JavaScript type: browsers refuse to run one served
   * as anything else (and nosniff, below, forbids guessing).
   */
  private static final Map<String, ContentType> TYPES = Map.of(
      ".html", ContentTypes.TEXT_HTML_UTF8,
      ".js", MediaTypes.APPLICATION_JAVASCRIPT.toContentType(HttpCharsets.UTF_8),
      ".css", MediaTypes.TEXT_CSS.toContentType(HttpCharsets.UTF_8));
  /**
   * Everything from the manager's own origin and nothing inline: a value a component reported
   * (a host name, say) that slipped into the page as markup could not run. The app's modules
   * come from this origin ('self' admits module scripts and their imports alike), and it draws
   * its charts as SVG elements through the DOM, which this allows.
   */
  static final String CSP = "default-src 'self'; script-src 'self'; style-src 'self'; "
      + "img-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
      + "form-action 'self'; frame-ancestors 'none'";

  /** A file as served: its type and bytes. */
  private record File(ContentType type, byte[] body) {}

  private final Map<String, File> files;

  private ConsoleFiles(Map<String, File> files) {
    this.files = files;
  }

  /** Reads the files from the classpath. @throws UncheckedIOException if one is missing */
  public static ConsoleFiles load() {
    Map<String, File> files = new HashMap<>();
    for (String name : NAMES) {
      try (InputStream in = ConsoleFiles.class.getResourceAsStream("/console/" + name)) {
        if (in == null) {
          throw new UncheckedIOException(new IOException(
              "console file console/" + name + " is missing from the jar"));
        }
        files.put(name, new File(typeOf(name), in.readAllBytes()));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return new ConsoleFiles(Map.copyOf(files));
  }

  /** The type a name is served as. @throws IllegalArgumentException for an ending not known */
  static ContentType typeOf(String name) {
    int dot = name.lastIndexOf('.');
    ContentType type = dot < 0 ? null : TYPES.get(name.substring(dot));
    if (type == null) {
      throw new IllegalArgumentException("console file " + name + " has no known type");
    }
    return type;
  }

  /** Whether the path is the console's (the rest, /api/v1 included, is someone else's). */
  public static boolean owns(String path) {
    return path.equals("/") || path.startsWith(PREFIX);
  }

  /** The answer to a request whose path {@link #owns} says is the console's. */
  public HttpResponse respond(HttpRequest request) {
    String path = request.getUri().path();
    String name = path.equals("/") ? INDEX : path.substring(PREFIX.length());
    File file = files.get(name);
    if (file == null) {
      return plain(StatusCodes.NOT_FOUND, "not found\n");
    }
    // the server never sends a body in answer to HEAD: the same response serves both
    if (!request.method().equals(HttpMethods.GET) && !request.method().equals(HttpMethods.HEAD)) {
      return plain(StatusCodes.METHOD_NOT_ALLOWED, "only GET and HEAD\n")
          .addHeader(Allow.create(HttpMethods.GET, HttpMethods.HEAD));
    }
    return secured(HttpResponse.create()
        .withEntity(HttpEntities.create(file.type(), file.body())));
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
