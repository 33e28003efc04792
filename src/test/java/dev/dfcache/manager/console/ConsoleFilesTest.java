package dev.dfcache.manager.console;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.apache.pekko.http.javadsl.model.HttpMethods;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.junit.jupiter.api.Test;

/** The console's files: served with their types and headers, and nothing else under its paths. */
class ConsoleFilesTest {
  private final ConsoleFiles files = ConsoleFiles.load();

  private static String header(HttpResponse r, String name) {
    return r.getHeader(name).map(h -> h.value()).orElse("");
  }

  @Test
  void servesThePageAndItsFilesWithTheirTypesAndHeaders() {
    for (String[] f : new String[][] {{"/", "text/html"}, {"/console/index.html", "text/html"},
        {"/console/app.js", "application/javascript"}, {"/console/app.css", "text/css"}}) {
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
        "/console//app.js", "/console/app.js%00")) {
      assertEquals(404, files.respond(HttpRequest.GET(path)).status().intValue(), path);
    }
    // everything else is the REST API's (and /metrics, /healthy): not taken by the console
    for (String path : List.of("/api/v1/peers", "/metrics", "/healthy", "/index.html", "")) {
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
  }
}
