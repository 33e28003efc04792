package dev.dfcache.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * The baseline: nginx serving files from a directory on 127.0.0.1 (sendfile on), the plain HTTP
 * download a dfcache export is compared with.
 */
final class StaticServer implements AutoCloseable {
  private final Process process;
  final int port;

  private StaticServer(Process process, int port) {
    this.process = process;
    this.port = port;
  }

  static StaticServer nginx(Path root, Path work) throws Exception {
    Path prefix = Files.createDirectories(work.resolve("nginx"));
    Files.createDirectories(prefix.resolve("logs"));
    int port = BenchProcesses.freePort();
    Path conf = prefix.resolve("nginx.conf");
    Files.writeString(conf, """
        daemon off;
        worker_processes 1;
        pid %1$s/nginx.pid;
        error_log %1$s/logs/error.log;
        events { worker_connections 64; }
        http {
          access_log off;
          sendfile on;
          tcp_nopush on;
          client_body_temp_path %1$s/body;
          proxy_temp_path %1$s/proxy;
          fastcgi_temp_path %1$s/fastcgi;
          uwsgi_temp_path %1$s/uwsgi;
          scgi_temp_path %1$s/scgi;
          server { listen 127.0.0.1:%2$d; root %3$s; }
        }
        """.formatted(prefix, port, root));
    String nginx = Files.isExecutable(Path.of("/usr/sbin/nginx")) ? "/usr/sbin/nginx" : "nginx";
    Process p = new ProcessBuilder(nginx, "-p", prefix.toString(), "-c", conf.toString())
        .redirectErrorStream(true).redirectOutput(prefix.resolve("logs/out.log").toFile()).start();
    for (int i = 0; i < 50; i++) {
      try (java.net.Socket s = new java.net.Socket("127.0.0.1", port)) {
        return new StaticServer(p, port);
      } catch (java.io.IOException notYet) {
        Thread.sleep(100);
      }
    }
    p.destroyForcibly();
    throw new IllegalStateException("nginx did not start; see " + prefix.resolve("logs"));
  }

  /** Downloads a file with curl into {@code out}; returns the elapsed nanoseconds. */
  long download(String name, Path out) throws Exception {
    long t0 = System.nanoTime();
    Process p = new ProcessBuilder("curl", "-sS", "-f", "-o", out.toString(),
        "http://127.0.0.1:" + port + "/" + name).inheritIO().start();
    if (!p.waitFor(300, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IllegalStateException("curl download of " + name + " failed");
    }
    return System.nanoTime() - t0;
  }

  /** SIGTERM: the nginx master stops its workers too (SIGKILL would orphan them). */
  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(5, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
