package dev.dfcache.manager;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real PostgreSQL server for tests, from Debian's {@code postgresql} package (.ci/run installs
 * it): a fresh cluster in a temporary directory, run as the postgres user on a free port of
 * 127.0.0.1, with one database "dfcache" (user postgres, trust authentication on loopback).
 */
public final class PostgresServer implements AutoCloseable {
  private final Path dir;
  private final Path bin;
  public final int port;

  private PostgresServer(Path dir, Path bin, int port) {
    this.dir = dir;
    this.bin = bin;
    this.port = port;
  }

  public static PostgresServer start(int port) throws Exception {
    Path bin = binDir();
    Path dir = Files.createTempDirectory("dfcache-pg");
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    Path data = dir.resolve("data");
    Path sockets = dir.resolve("sockets");
    Files.createDirectories(sockets);
    run(List.of("chown", "-R", "postgres:postgres", dir.toString()));
    asPostgres(bin.resolve("initdb"), "-D", data.toString(), "-A", "trust", "-U", "postgres",
        "--no-sync", "-E", "UTF8");
    asPostgres(bin.resolve("pg_ctl"), "-D", data.toString(), "-l", dir.resolve("log").toString(),
        "-w", "-t", "60", "-o", "-p " + port + " -k " + sockets + " -c listen_addresses=127.0.0.1 "
            + "-c fsync=off", "start");
    PostgresServer server = new PostgresServer(dir, bin, port);
    asPostgres(bin.resolve("createdb"), "-h", "127.0.0.1", "-p", Integer.toString(port),
        "-U", "postgres", "dfcache");
    return server;
  }

  public String jdbcUrl() {
    return "jdbc:postgresql://127.0.0.1:" + port + "/dfcache";
  }

  /** The bin directory of the newest PostgreSQL installed. */
  static Path binDir() throws IOException {
    Path root = Path.of("/usr/lib/postgresql");
    if (!Files.isDirectory(root)) {
      throw new IllegalStateException("PostgreSQL is not installed (apt-get install postgresql; "
          + ".ci/run does it)");
    }
    try (Stream<Path> versions = Files.list(root)) {
      return versions.filter(p -> Files.isExecutable(p.resolve("bin/initdb")))
          .max(Comparator.comparing(p -> Integer.parseInt(p.getFileName().toString())))
          .orElseThrow(() -> new IllegalStateException("no initdb under " + root))
          .resolve("bin");
    }
  }

  private static void asPostgres(Path program, String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("runuser", "-u", "postgres", "--",
        program.toString()));
    cmd.addAll(List.of(args));
    run(cmd);
  }

  private static void run(List<String> cmd) throws Exception {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    if (!p.waitFor(90, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IllegalStateException(String.join(" ", cmd) + " failed: " + out);
    }
  }

  @Override
  public void close() throws Exception {
    try {
      asPostgres(bin.resolve("pg_ctl"), "-D", dir.resolve("data").toString(), "-m", "immediate",
          "-w", "stop");
    } finally {
      run(List.of("rm", "-rf", dir.toString()));
    }
  }
}
