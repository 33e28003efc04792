package dev.dfcache.manager.console;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.pekko.http.javadsl.model.HttpMethods;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.junit.jupiter.api.Test;

/** The console's files: served with their types and headers, and nothing else under its paths. */
class ConsoleFilesTest {
  /** A static import or re-export of an ES module: {@code from './x.js'} or {@code import './x.js'}. */
  private static final Pattern IMPORT =
      Pattern.compile("(?:\\bfrom|^\\s*import)\\s*['\"]([^'\"]+)['\"]", Pattern.MULTILINE);

  private final ConsoleFiles files = ConsoleFiles.load();

  private static String header(HttpResponse r, String name) {
    return r.getHeader(name).map(h -> h.value()).orElse("");
  }

  /** The console's folder as the build copied it (target/classes/console). */
  private static Path consoleDir() throws URISyntaxException {
    return Path.of(ConsoleFiles.class.getResource("/console/index.html").toURI()).getParent();
  }

  private static String body(HttpResponse r) {
    return new String(((org.apache.pekko.http.scaladsl.model.HttpEntity.Strict) r.entity())
        .getData().toArray(), StandardCharsets.UTF_8);
  }

  @Test
  void servesThePageAndItsFilesWithTheirTypesAndHeaders() {
    List<String[]> expected = new ArrayList<>(List.of(new String[] {"/", "text/html"},
        new String[] {"/console/index.html", "text/html"},
        new String[] {"/console/app.css", "text/css"}));
    for (String name : ConsoleFiles.NAMES) {
      if (name.endsWith(".js")) {
        // modules: a browser runs one only when served as JavaScript
        expected.add(new String[] {"/console/" + name, "application/javascript"});
      }
    }
    assertTrue(expected.size() > 10, "the modules are listed: " + ConsoleFiles.NAMES);
    for (String[] f : expected) {
      assertTrue(ConsoleFiles.owns(f[0]), f[0]);
      HttpResponse r = files.respond(HttpRequest.GET(f[0]));
      assertEquals(200, r.status().intValue(), f[0]);
      assertTrue(r.entity().getContentType().toString().startsWith(f[1]),
          f[0] + ": " + r.entity().getContentType());
      assertTrue(r.entity().getContentType().toString().contains("UTF-8"), f[0]);
      assertEquals("no-cache", header(r, "Cache-Control"));
      assertEquals("nosniff", header(r, "X-Content-Type-Options"));
      assertTrue(header(r, "Content-Security-Policy").startsWith("default-src 'self';"));
      assertFalse(header(r, "Content-Security-Policy").contains("unsafe"));
    }
  }

  @Test
  void anyOtherNameIsNotFound() {
    for (String path : List.of("/console/", "/console/nope.js", "/console/../application.conf",
        "/console/%2e%2e/application.conf", "/console/app.js/", "/console/APP.JS",
        "/console//app.js", "/console/app.js%00", "/console/js/", "/console/js",
        "/console/js/../app.js", "/console/js/pages/../api.js", "/console/./app.js",
        "/console/js%2fapi.js", "/console/JS/api.js", "/console/js/pages/nope.js",
        "/console/js/api.js.map", "/console/pages/tasks.js", "/console//js/api.js")) {
      assertEquals(404, files.respond(HttpRequest.GET(path)).status().intValue(), path);
    }
    // everything else is the REST API's (and /metrics, /healthy): not taken by the console
    for (String path : List.of("/api/v1/peers", "/metrics", "/healthy", "/index.html", "",
        "/js/api.js")) {
      assertFalse(ConsoleFiles.owns(path), path);
    }
  }

  @Test
  void onlyGetAndHead() {
    assertEquals(200, files.respond(HttpRequest.create("/").withMethod(HttpMethods.HEAD))
        .status().intValue());
    HttpResponse post = files.respond(HttpRequest.POST("/"));
    assertEquals(405, post.status().intValue());
    assertEquals("GET, HEAD", header(post, "Allow"));
    assertEquals(405, files.respond(HttpRequest.PUT("/console/js/api.js")).status().intValue());
  }

  /** A module left out of the list would fail in the browser only: the list is the folder. */
  @Test
  void everyFileOfTheConsoleFolderIsListed() throws Exception {
    Path dir = consoleDir();
    Set<String> onDisk;
    try (Stream<Path> walk = Files.walk(dir)) {
      onDisk = walk.filter(Files::isRegularFile)
          .map(p -> dir.relativize(p).toString().replace('\\', '/'))
          .collect(Collectors.toCollection(TreeSet::new));
    }
    assertEquals(onDisk, new TreeSet<>(ConsoleFiles.NAMES));
  }

  /** Each import resolves, relative to its module, to a file that is served. */
  @Test
  void everyImportNamesAServedModule() throws IOException, URISyntaxException {
    int imports = 0;
    for (String name : ConsoleFiles.NAMES) {
      if (!name.endsWith(".js")) {
        continue;
      }
      String source = Files.readString(consoleDir().resolve(name));
      Matcher m = IMPORT.matcher(source);
      while (m.find()) {
        String target = m.group(1);
        assertTrue(target.startsWith("./") || target.startsWith("../"),
            name + " imports " + target + ": only relative paths (nothing from elsewhere)");
        String resolved = Path.of(name).resolveSibling(target).normalize().toString()
            .replace('\\', '/');
        assertTrue(ConsoleFiles.NAMES.contains(resolved),
            name + " imports " + target + " (" + resolved + "), which is not served");
        assertEquals(200, files.respond(HttpRequest.GET("/console/" + resolved)).status()
            .intValue(), resolved);
        imports++;
      }
    }
    assertTrue(imports > 20, "the imports were found: " + imports);
  }

  /** The page loads its entry module from the manager and has no inline script. */
  @Test
  void thePageLoadsTheEntryModuleAndNothingInline() {
    String page = body(files.respond(HttpRequest.GET("/")));
    assertTrue(page.contains("<script type=\"module\" src=\"/console/app.js\"></script>"), page);
    Matcher scripts = Pattern.compile("<script\\b[^>]*>").matcher(page);
    while (scripts.find()) {
      assertTrue(scripts.group().contains(" src=\"/console/"), scripts.group());
    }
    assertFalse(Pattern.compile("\\son[a-z]+=").matcher(page).find(), "no inline event handlers");
  }

  @Test
  void aNameWithoutAKnownTypeIsRefused() {
    for (String name : List.of("app", "app.mjs.bak", "x.json", "js/")) {
      assertThrows(IllegalArgumentException.class, () -> ConsoleFiles.typeOf(name), name);
    }
    assertTrue(ConsoleFiles.typeOf("js/pages/tasks.js").toString()
        .startsWith("application/javascript"));
  }
}
