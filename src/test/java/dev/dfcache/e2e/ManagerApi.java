package dev.dfcache.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

/** A small client of the manager's REST API for tests: sign in once, then JSON calls. */
final class ManagerApi {
  static final ObjectMapper JSON = new ObjectMapper();
  private final HttpClient http = HttpClient.newHttpClient();
  private final String base;
  private String token;

  record Reply(int status, JsonNode body, String text) {}

  ManagerApi(int port) {
    this.base = "http://127.0.0.1:" + port;
  }

  ManagerApi signIn(String name, String password) throws Exception {
    Reply r = call("POST", "/api/v1/users/signin",
        JSON.createObjectNode().put("name", name).put("password", password).toString());
    if (r.status() != 200) {
      throw new AssertionError("sign-in failed: " + r);
    }
    token = r.body().get("token").asText();
    return this;
  }

  /** The same session, against another manager. */
  ManagerApi at(int port) {
    ManagerApi other = new ManagerApi(port);
    other.token = token;
    return other;
  }

  Reply get(String path) throws Exception {
    return call("GET", path, null);
  }

  Reply call(String method, String path, String body) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(body));
    if (body != null) {
      b.header("Content-Type", "application/json");
    }
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    JsonNode node = null;
    try {
      node = r.body().isEmpty() ? null : JSON.readTree(r.body());
    } catch (Exception notJson) {
      // kept as text
    }
    return new Reply(r.statusCode(), node, r.body());
  }

  /** The rows of a list answer (an array, or an object with one array in it). */
  static Iterable<JsonNode> rows(JsonNode body) {
    if (body.isArray()) {
      return body;
    }
    for (JsonNode v : body) {
      if (v.isArray()) {
        return v;
      }
    }
    throw new AssertionError("no list in " + body);
  }
}
