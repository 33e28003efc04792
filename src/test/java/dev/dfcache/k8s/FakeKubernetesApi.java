package dev.dfcache.k8s;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

/**
 * A stand-in for the one Kubernetes API call cluster bootstrap makes: {@code GET
 * /api/v1/namespaces/<ns>/pods?labelSelector=...} over HTTPS with a bearer token. It serves a
 * self-signed certificate made with keytool, and writes what a pod would find under
 * /var/run/secrets/kubernetes.io/serviceaccount: ca.crt, token and namespace. Requests with the
 * wrong token or namespace are refused as the real API server would; a selector that matches no
 * pod gets an empty list.
 */
final class FakeKubernetesApi implements AutoCloseable {
  record Pod(String name, String ip, String appLabel, int grpcPort, int managementPort,
      int remotingPort) {}

  record Lookup(String path, String labelSelector, String authorization, int status) {}

  final Path caCert;
  final Path tokenFile;
  final Path namespaceFile;
  final String namespace;
  private final String token = "it-" + UUID.randomUUID();
  private final HttpsServer server;
  private final ExecutorService executor = Executors.newFixedThreadPool(2);
  private volatile List<Pod> pods = List.of();
  final ConcurrentLinkedQueue<Lookup> lookups = new ConcurrentLinkedQueue<>();

  FakeKubernetesApi(Path dir, String namespace) throws Exception {
    this.namespace = namespace;
    Files.createDirectories(dir);
    Path keystore = dir.resolve("apiserver.p12");
    caCert = dir.resolve("ca.crt");
    keytool("-genkeypair", "-alias", "apiserver", "-keyalg", "RSA", "-keysize", "2048",
        "-dname", "CN=kubernetes", "-ext", "SAN=ip:127.0.0.1,dns:localhost", "-validity", "2",
        "-storetype", "PKCS12", "-keystore", keystore.toString(), "-storepass", "changeit",
        "-keypass", "changeit");
    keytool("-exportcert", "-rfc", "-alias", "apiserver", "-keystore", keystore.toString(),
        "-storepass", "changeit", "-file", caCert.toString());
    tokenFile = Files.writeString(dir.resolve("token"), token);
    namespaceFile = Files.writeString(dir.resolve("namespace"), namespace);

    KeyStore ks = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(keystore)) {
      ks.load(in, "changeit".toCharArray());
    }
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(ks, "changeit".toCharArray());
    SSLContext ssl = SSLContext.getInstance("TLS");
    ssl.init(kmf.getKeyManagers(), null, null);
    server = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
    server.setHttpsConfigurator(new HttpsConfigurator(ssl));
    server.createContext("/", this::handle);
    server.setExecutor(executor);
    server.start();
  }

  int port() {
    return server.getAddress().getPort();
  }

  void setPods(List<Pod> pods) {
    this.pods = List.copyOf(pods);
  }

  private void handle(HttpExchange ex) throws IOException {
    String path = ex.getRequestURI().getPath();
    String query = ex.getRequestURI().getRawQuery();
    String selector = null;
    if (query != null) {
      for (String kv : query.split("&")) {
        if (kv.startsWith("labelSelector=")) {
          selector = URLDecoder.decode(kv.substring("labelSelector=".length()),
              StandardCharsets.UTF_8);
        }
      }
    }
    String auth = ex.getRequestHeaders().getFirst("Authorization");
    int status;
    String body;
    if (!("Bearer " + token).equals(auth)) {
      status = 401;
      body = status("Unauthorized", 401);
    } else if (!path.equals("/api/v1/namespaces/" + namespace + "/pods")
        || !ex.getRequestMethod().equals("GET")) {
      status = 403;
      body = status("pods is forbidden outside namespace " + namespace, 403);
    } else {
      status = 200;
      body = podList(selector);
    }
    lookups.add(new Lookup(path, selector, auth, status));
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().set("Content-Type", "application/json");
    ex.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(bytes);
    }
  }

  private String podList(String selector) {
    List<String> items = new ArrayList<>();
    for (Pod p : pods) {
      if (selector == null || !selector.equals("app=" + p.appLabel())) {
        continue;
      }
      items.add("""
          {"metadata":{"name":"%s","namespace":"%s","labels":{"app":"%s"}},
           "spec":{"containers":[{"name":"scheduler","ports":[
             {"name":"grpc","containerPort":%d,"protocol":"TCP"},
             {"name":"management","containerPort":%d,"protocol":"TCP"},
             {"name":"remoting","containerPort":%d,"protocol":"TCP"}]}]},
           "status":{"phase":"Running","podIP":"%s",
             "containerStatuses":[{"name":"scheduler","ready":false,"state":{"running":{}}}]}}"""
          .formatted(p.name(), namespace, p.appLabel(), p.grpcPort(), p.managementPort(),
              p.remotingPort(), p.ip()));
    }
    return "{\"kind\":\"PodList\",\"apiVersion\":\"v1\",\"metadata\":{},\"items\":["
        + String.join(",", items) + "]}";
  }

  private static String status(String message, int code) {
    return "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\",\"message\":\""
        + message + "\",\"code\":" + code + "}";
  }

  private static void keytool(String... args) throws Exception {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IllegalStateException("keytool failed: " + out);
    }
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
