package dev.dfcache.bench;

import dev.dfcache.bench.BenchProcesses.Node;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordingFile;

/**
 * {@code bin/bench --profile}: a JFR recording (CPU samples every 10 ms) of a daemon from its start,
 * dumped with jcmd after the bench measured something, and a summary of where its CPU went in that
 * time: the
 * share of execution samples per area (the top frame's class decides) and the hottest methods,
 * the process's CPU use, GC pauses and JIT compile time.
 */
final class JfrProfile {
  private static final String NAME = "dfcache-bench";

  /** Areas by the top frame's class name prefix, first match wins. */
  private static final Map<String, String> AREAS = new LinkedHashMap<>();

  static {
    AREAS.put("sun.security.provider.SHA", "SHA-256 (piece digests)");
    AREAS.put("sun.security.provider.Digest", "SHA-256 (piece digests)");
    AREAS.put("java.security.MessageDigest", "SHA-256 (piece digests)");
    AREAS.put("org.apache.pekko.http", "pekko-http (HTTP/1.1, HTTP/2, gRPC framing)");
    AREAS.put("org.apache.pekko.grpc", "pekko-grpc");
    AREAS.put("org.apache.pekko.stream", "pekko-streams");
    AREAS.put("org.apache.pekko.io", "pekko I/O (TCP)");
    AREAS.put("org.apache.pekko.util.ByteString", "ByteString copies");
    AREAS.put("org.apache.pekko", "pekko (actors, dispatchers)");
    AREAS.put("sun.nio.ch", "NIO (sockets, file channels)");
    AREAS.put("java.nio", "NIO buffers");
    AREAS.put("jdk.internal.misc.Unsafe", "memory copies (Unsafe)");
    AREAS.put("java.lang.System", "memory copies (arraycopy)");
    AREAS.put("io.grpc", "grpc-java (unix socket)");
    AREAS.put("com.google.protobuf", "protobuf");
    AREAS.put("dev.dfcache", "dfcache's own code");
    AREAS.put("scala.", "Scala library");
    AREAS.put("java.util.concurrent", "java.util.concurrent");
  }

  private JfrProfile() {}

  /**
   * Only what the summary reads: JFR's own "profile" settings (allocation, socket and file events
   * with stack traces) slowed a 128 MiB export here from ~0.4 s to 1.1 s.
   */
  private static final String SETTINGS = settings(
      "jdk.ExecutionSample", "period", "10 ms",
      "jdk.NativeMethodSample", "period", "10 ms",
      "jdk.CPULoad", "period", "100 ms",
      "jdk.ThreadCPULoad", "period", "100 ms",
      "jdk.GarbageCollection", "threshold", "0 ms",
      "jdk.Compilation", "threshold", "0 ms");

  /** A .jfc file enabling each event (name, setting, value triples) and nothing else. */
  private static String settings(String... triples) {
    StringBuilder xml = new StringBuilder("""
        <?xml version="1.0" encoding="UTF-8"?>
        <configuration version="2.0" label="dfcache bench" description="CPU samples, GC, JIT">
        """);
    for (int i = 0; i < triples.length; i += 3) {
      xml.append("  <event name=\"").append(triples[i]).append("\">")
          .append("<setting name=\"enabled\">true</setting>")
          .append("<setting name=\"").append(triples[i + 1]).append("\">")
          .append(triples[i + 2]).append("</setting></event>\n");
    }
    return xml.append("</configuration>\n").toString();
  }

  private static Path settingsFile;

  /**
   * The JVM flag that records from the process's start: a recording started later by jcmd makes
   * the JVM deoptimise and compile again (thousands of compilations in a "warm" window here).
   */
  static synchronized String jvmFlag() throws java.io.IOException {
    if (settingsFile == null) {
      settingsFile = java.nio.file.Files.createTempFile("dfcache-bench-", ".jfc");
      settingsFile.toFile().deleteOnExit();
      java.nio.file.Files.writeString(settingsFile, SETTINGS);
    }
    return "-XX:StartFlightRecording=name=" + NAME + ",settings=" + settingsFile;
  }

  /** Writes what the recording holds so far; the summary then looks at one time window. */
  static void dump(Node n, Path file) throws Exception {
    BenchProcesses.run("jcmd", Long.toString(n.process().pid()), "JFR.dump", "name=" + NAME,
        "filename=" + file.toAbsolutePath());
  }

  /** Where the process's CPU went between {@code from} and {@code to}. */
  static String summary(Path file, java.time.Instant from, java.time.Instant to)
      throws Exception {
    Map<String, Integer> areas = new HashMap<>();
    Map<String, Integer> methods = new HashMap<>();
    Map<String, Integer> natives = new HashMap<>();
    Map<String, Double> threads = new HashMap<>(); // thread group -> sum of its CPU shares
    int samples = 0;
    int nativeSamples = 0;
    double cpuSum = 0;
    int cpuCount = 0;
    Duration gc = Duration.ZERO;
    Duration jit = Duration.ZERO;
    int compilations = 0;
    for (RecordedEvent e : RecordingFile.readAllEvents(file)) {
      if (e.getEndTime().isBefore(from) || e.getStartTime().isAfter(to)) {
        continue;
      }
      switch (e.getEventType().getName()) {
        case "jdk.ExecutionSample" -> {
          List<RecordedFrame> frames = e.getStackTrace() == null ? List.of()
              : e.getStackTrace().getFrames();
          if (frames.isEmpty()) {
            continue;
          }
          samples++;
          RecordedFrame top = frames.get(0);
          String cls = top.getMethod().getType().getName();
          methods.merge(cls + "." + top.getMethod().getName(), 1, Integer::sum);
          areas.merge(areaOf(cls), 1, Integer::sum);
        }
        case "jdk.NativeMethodSample" -> {
          List<RecordedFrame> frames = e.getStackTrace() == null ? List.of()
              : e.getStackTrace().getFrames();
          if (!frames.isEmpty()) {
            nativeSamples++;
            RecordedFrame top = frames.get(0);
            natives.merge(top.getMethod().getType().getName() + "." + top.getMethod().getName(),
                1, Integer::sum);
          }
        }
        case "jdk.ThreadCPULoad" -> {
          var t = e.getThread("eventThread");
          String name = t == null ? "?" : t.getJavaName() != null ? t.getJavaName()
              : t.getOSName();
          threads.merge(threadGroup(name), (double) e.getFloat("user") + e.getFloat("system"),
              Double::sum);
        }
        case "jdk.CPULoad" -> {
          cpuSum += e.getFloat("jvmUser") + e.getFloat("jvmSystem");
          cpuCount++;
        }
        case "jdk.GarbageCollection" -> gc = gc.plus(e.getDuration("sumOfPauses"));
        case "jdk.Compilation" -> {
          var method = e.getValue("method");
          jit = jit.plus(e.getDuration());
          compilations++;
        }
        default -> { }
      }
    }
    StringBuilder b = new StringBuilder();
    b.append(String.format(Locale.ROOT, "    %d execution samples; process CPU %.0f%% of the "
            + "machine (mean of %d samples); GC pauses %d ms; JIT %d compilations, %d ms%n",
        samples, cpuCount == 0 ? 0 : 100 * cpuSum / cpuCount, cpuCount, gc.toMillis(),
        compilations, jit.toMillis()));
    double periods = Math.max(1, cpuCount); // CPULoad and ThreadCPULoad share the period
    b.append("    CPU by thread (share of the machine, mean over the window):\n");
    threads.entrySet().stream().sorted(Map.Entry.<String, Double>comparingByValue().reversed())
        .filter(t -> t.getValue() / periods >= 0.005).limit(10)
        .forEach(t -> b.append(String.format(Locale.ROOT, "    %5.1f%%  %s%n",
            100 * t.getValue() / periods, t.getKey())));
    b.append("    Java code running, by area of the top frame:\n");
    int total = Math.max(1, samples);
    areas.entrySet().stream().sorted(Map.Entry.<String, Integer>comparingByValue().reversed())
        .forEach(a -> b.append(String.format(Locale.ROOT, "    %5.1f%%  %s%n",
            100.0 * a.getValue() / total, a.getKey())));
    b.append("    hottest methods (top frame):\n");
    methods.entrySet().stream().sorted(Map.Entry.<String, Integer>comparingByValue().reversed())
        .limit(12).forEach(m -> b.append(String.format(Locale.ROOT, "    %5.1f%%  %s%n",
            100.0 * m.getValue() / total, m.getKey())));
    b.append(String.format(Locale.ROOT, "    threads waiting in native code (%d samples; "
        + "socket and file calls, not CPU), top frame:%n", nativeSamples));
    int nativeTotal = Math.max(1, nativeSamples);
    natives.entrySet().stream().sorted(Map.Entry.<String, Integer>comparingByValue().reversed())
        .limit(5).forEach(m -> b.append(String.format(Locale.ROOT, "    %5.1f%%  %s%n",
            100.0 * m.getValue() / nativeTotal, m.getKey())));
    return b.toString();
  }

  /** "C2 CompilerThread1" and "dfcache-io-7" count as one group each. */
  static String threadGroup(String name) {
    return name.replaceAll("[-#\\s]?\\d+$", "").replaceAll("\\d+$", "");
  }

  private static String areaOf(String cls) {
    for (var a : AREAS.entrySet()) {
      if (cls.startsWith(a.getKey())) {
        return a.getValue();
      }
    }
    int dot = cls.lastIndexOf('.');
    return dot > 0 ? cls.substring(0, dot) : cls;
  }
}
