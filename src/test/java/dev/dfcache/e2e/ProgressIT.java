package dev.dfcache.e2e;

import static dev.dfcache.e2e.LocalCluster.cli;
import static dev.dfcache.e2e.LocalCluster.cliOnTerminal;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dfcache.api.common.UrlMeta;
import dev.dfcache.api.dfdaemon.ExportTaskRequest;
import dev.dfcache.api.local.TaskProgress;
import dev.dfcache.common.DfException;
import dev.dfcache.common.TaskIds;
import dev.dfcache.e2e.LocalCluster.CliResult;
import dev.dfcache.e2e.LocalCluster.Proc;
import dev.dfcache.rpc.DaemonAddress;
import dev.dfcache.rpc.DaemonRpc;
import dev.dfcache.rpc.OneShotChannel;
import dev.dfcache.rpc.StreamingMethod;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The progress bar of {@code dfcache export} and {@code import}, seen on a real pseudo-terminal
 * (util-linux script), and its absence everywhere else; {@code --json} before and after the
 * command; the ...WithProgress calls failing as the unary ones do. One scheduler, two daemons.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ProgressIT {
  static final long MIB = 1 << 20;
  /** One progress line: done / total, percent (the rest is checked by the caller). */
  static final Pattern LINE = Pattern.compile(
      "^\\s+([\\d.]+) (B|KiB|MiB|GiB) / ([\\d.]+) (B|KiB|MiB|GiB)\\s+(\\d+)%");
  static final Pattern RATE = Pattern.compile("[\\d.]+ (B|KiB|MiB|GiB)/s");

  LocalCluster cluster;
  Path work;
  Proc a;
  Proc b;

  @BeforeAll
  void start() throws Exception {
    cluster = LocalCluster.inTempDir("dfcache-progress");
    work = cluster.work();
    Proc scheduler = cluster.scheduler("scheduler");
    a = cluster.daemon("daemon-a", scheduler.grpc());
    b = cluster.daemon("daemon-b", scheduler.grpc());
  }

  @AfterAll
  void stop() {
    cluster.close();
  }

  /** The lines a terminal would have shown, each redraw (after a \r) as a line of its own. */
  static List<String> screens(String out) {
    List<String> lines = new ArrayList<>();
    for (String l : out.split("[\r\n]+")) {
      if (!l.isBlank()) {
        lines.add(l.stripTrailing()); // the blanks a redraw puts over a longer line
      }
    }
    return lines;
  }

  Path randomFile(String name, long size) throws java.io.IOException {
    Path p = work.resolve(name);
    java.util.Random random = new java.util.Random(size);
    byte[] buf = new byte[(int) MIB];
    try (java.io.OutputStream out = java.nio.file.Files.newOutputStream(p)) {
      for (long left = size; left > 0; left -= buf.length) {
        random.nextBytes(buf);
        out.write(buf, 0, (int) Math.min(buf.length, left));
      }
    }
    return p;
  }

  static long bytes(String number, String unit) {
    double n = Double.parseDouble(number);
    int shift = switch (unit) {
      case "KiB" -> 10;
      case "MiB" -> 20;
      case "GiB" -> 30;
      default -> 0;
    };
    return (long) (n * (1L << shift));
  }

  @Test
  void exportAndImportDrawABarOnATerminalOnly() throws Exception {
    Path src = randomFile("big", 64 * MIB);
    String sha = EndToEndIT.sha256(src);

    // import on a terminal: a copy this fast may show only its last line
    CliResult imported = cliOnTerminal(a, "import", "-i", "big", src.toString());
    assertEquals(0, imported.exit(), imported.toString());
    List<String> importLines = screens(imported.out());
    String importDone = importLines.stream().filter(l -> l.contains("done in")).findFirst()
        .orElse(null);
    assertNotNull(importDone, "no final progress line in " + importLines);
    assertTrue(importDone.contains("64.0 MiB / 64.0 MiB  100%"), importDone);
    assertFalse(importDone.contains("from"), "an import comes from no peer: " + importDone);
    assertTrue(importLines.get(importLines.size() - 1).startsWith("imported big"),
        importLines.toString());

    // export elsewhere on a terminal, held to 16 MiB/s: some four seconds of updates
    Path out = work.resolve("big.out");
    CliResult exported = cliOnTerminal(b, "export", "-i", "big", "--limit", "16M",
        "-O", out.toString());
    assertEquals(0, exported.exit(), exported.toString());
    assertEquals(sha, EndToEndIT.sha256(out));
    List<String> lines = screens(exported.out());
    System.out.println("export on a terminal showed:\n" + String.join("\n", lines));
    List<Long> done = new ArrayList<>();
    String last = null;
    for (String l : lines) {
      Matcher m = LINE.matcher(l);
      if (!m.find()) {
        continue;
      }
      assertEquals(64 * MIB, bytes(m.group(3), m.group(4)), l);
      assertTrue(RATE.matcher(l).find(), "no rate in " + l);
      // before the first piece lands, no peer has given anything yet
      long bytesDone = bytes(m.group(1), m.group(2));
      assertTrue(bytesDone == 0 || l.endsWith("from 1 peer"), l);
      if (l.contains("done in")) {
        last = l;
      } else {
        assertTrue(l.contains("ETA "), l);
        done.add(bytesDone);
      }
    }
    List<Long> increasing = done.stream().distinct().sorted().toList();
    assertTrue(increasing.size() >= 2 && increasing.equals(done.stream().distinct().toList()),
        "want two or more updates, bytes growing: " + done + " in " + lines);
    assertNotNull(last, "no final line in " + lines);
    assertTrue(last.contains("64.0 MiB / 64.0 MiB  100%"), last);
    assertTrue(lines.get(lines.size() - 1).startsWith("exported big to " + out), lines.toString());
    assertTrue(exported.out().contains("\r"), "a bar is redrawn in place");

    // not a terminal: no bar, output as before
    Path plainOut = work.resolve("big.plain");
    CliResult plain = cli(b, "export", "-i", "big", "-O", plainOut.toString());
    assertEquals(0, plain.exit(), plain.toString());
    assertEquals("", plain.err(), "nothing on stderr without a terminal");
    assertTrue(plain.out().startsWith("exported big to " + plainOut), plain.out());
    assertEquals(sha, EndToEndIT.sha256(plainOut));

    // --json (before or after the command) and -q on a terminal: no bar either
    CliResult json = cliOnTerminal(b, "--json", "export", "-i", "big", "-O",
        work.resolve("big.json1").toString());
    CliResult jsonAfter = cliOnTerminal(b, "export", "-i", "big", "--json", "-O",
        work.resolve("big.json2").toString());
    CliResult quiet = cliOnTerminal(b, "export", "-q", "-i", "big", "-O",
        work.resolve("big.quiet").toString());
    for (CliResult r : List.of(json, jsonAfter, quiet)) {
      assertEquals(0, r.exit(), r.toString());
      assertFalse(r.out().contains("ETA") || r.out().contains("done in")
          || r.out().contains("\r" + " "), "a bar in " + r);
    }
    for (CliResult r : List.of(json, jsonAfter)) {
      assertTrue(r.out().strip().startsWith("{\"ok\":true,\"command\":\"export\""), r.toString());
    }
    assertEquals("", quiet.out().strip(), quiet.toString());
  }

  @Test
  void jsonGoesBeforeOrAfterTheCommand() throws Exception {
    Path src = randomFile("small", 1000);
    CliResult imported = cli(a, "--json", "import", "-i", "small", src.toString());
    assertTrue(imported.out().startsWith("{\"ok\":true,\"command\":\"import\""), imported.toString());
    for (List<String> args : List.of(List.of("--json", "stat", "-i", "small"),
        List.of("stat", "-i", "small", "--json"), List.of("stat", "--json", "-i", "small"))) {
      CliResult r = cli(b, args.toArray(String[]::new));
      assertEquals(0, r.exit(), r.toString());
      assertTrue(r.out().startsWith("{\"ok\":true,\"command\":\"stat\""), args + ": " + r);
    }
    CliResult before = cli(b, "--json", "export", "-i", "small", "-O",
        work.resolve("small.1").toString());
    CliResult after = cli(b, "export", "-i", "small", "-O", work.resolve("small.2").toString(),
        "--json");
    for (CliResult r : List.of(before, after)) {
      assertEquals(0, r.exit(), r.toString());
      assertTrue(r.out().startsWith("{\"ok\":true,\"command\":\"export\""), r.toString());
    }
    CliResult ls = cli(b, "ls", "--json");
    CliResult lsBefore = cli(b, "--json", "ls");
    assertTrue(ls.out().startsWith("{\"ok\":true"), ls.toString());
    assertTrue(lsBefore.out().startsWith("{\"ok\":true"), lsBefore.toString());
  }

  @Test
  void aFailedExportFailsAlikeWithAndWithoutProgress() throws Exception {
    // through the CLI: a terminal (streaming call) and no terminal (unary call) say the same
    CliResult onTerminal = cliOnTerminal(b, "export", "-i", "nobody-has-it", "-O",
        work.resolve("none.1").toString());
    CliResult plain = cli(b, "export", "-i", "nobody-has-it", "-O",
        work.resolve("none.2").toString());
    assertEquals(1, onTerminal.exit(), onTerminal.toString());
    assertEquals(1, plain.exit(), plain.toString());
    assertTrue(plain.err().startsWith("Error: task nobody-has-it does not exist"), plain.err());
    assertTrue(onTerminal.out().contains(plain.err().strip()), onTerminal + " vs " + plain);

    // on the wire: the same status, description and Dragonfly code
    String url = TaskIds.urlForCid("nobody-has-it");
    ExportTaskRequest req = ExportTaskRequest.newBuilder().setUrl(url)
        .setUrlMeta(UrlMeta.getDefaultInstance())
        .setOutput(work.resolve("none.3").toString()).build();
    try (OneShotChannel channel = new OneShotChannel(DaemonAddress.parse(b.localApi()))) {
      StatusRuntimeException unary = null;
      try {
        DaemonRpc.EXPORT_TASK.call(channel.channel(), req, Duration.ofSeconds(60));
      } catch (StatusRuntimeException e) {
        unary = e;
      }
      assertNotNull(unary, "the export of a task nobody has succeeded");
      List<TaskProgress> heard = new ArrayList<>();
      CompletableFuture<StatusRuntimeException> closed = new CompletableFuture<>();
      StreamingMethod.Call<ExportTaskRequest> call = DaemonRpc.EXPORT_TASK_WITH_PROGRESS.open(
          channel.channel(), Duration.ofSeconds(60), new StreamingMethod.Listener<>() {
            @Override
            public void onMessage(TaskProgress p) {
              heard.add(p);
            }

            @Override
            public void onClose(Status status, Metadata trailers) {
              closed.complete(status.asRuntimeException(trailers));
            }
          });
      call.send(req);
      call.halfClose();
      StatusRuntimeException streamed = closed.get(60, TimeUnit.SECONDS);
      assertEquals(unary.getStatus().getCode(), streamed.getStatus().getCode());
      assertEquals(unary.getStatus().getDescription(), streamed.getStatus().getDescription());
      assertEquals(DfException.of(unary).code(), DfException.of(streamed).code());
      assertEquals(DfException.of(unary).getMessage(), DfException.of(streamed).getMessage());
      assertTrue(heard.stream().noneMatch(TaskProgress::getFinished), heard.toString());
    }
  }
}
