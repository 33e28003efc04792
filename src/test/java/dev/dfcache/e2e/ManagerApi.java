package dev.dfcache.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

/**
 * A small client of the manager's REST API for tests: sign in once, then JSON calls; over HTTPS
 * (trusting the cluster's CA) when the manager runs with a certificate.
 */
final class ManagerApi {
  static final ObjectMapper JSON = new ObjectMapper();
  private final HttpClient http;
  private final String base;
  private final java.nio.file.Path tls;
  private String token;

  record Reply(int status, JsonNode body, String text, HttpResponse<String> raw) {}

  /** Plain HTTP. */
  ManagerApi(int port) {
    this(port, null);
  }

  /** HTTPS trusting the CA in {@code tls} (its ca.crt), or plain HTTP when null. */
  ManagerApi(int port, java.nio.file.Path tls) {
    this.tls = tls;
    this.base = (tls == null ? "http" : "https") + "://127.0.0.1:" + port;
    try {
      this.http = tls == null ? HttpClient.newHttpClient() : HttpClient.newBuilder()
          .sslContext(dev.dfcache.tls.TlsFiles.context(tls)).build();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** The REST API of a started manager, as it serves it (HTTPS when it has a certificate). */
  static ManagerApi of(LocalCluster.Proc manager) {
    return new ManagerApi(manager.otherPort, manager.tls);
  }

  String base() {
    return base;
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
    ManagerApi other = new ManagerApi(port, tls);
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
    return new Reply(r.statusCode(), node, r.body(), r);
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
