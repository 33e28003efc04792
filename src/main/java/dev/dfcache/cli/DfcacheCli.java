package dev.dfcache.cli;

import com.google.protobuf.Message;
import dev.dfcache.api.common.Code;
import dev.dfcache.api.common.TaskType;
import dev.dfcache.api.common.UrlMeta;
import dev.dfcache.api.dfdaemon.DeleteTaskRequest;
import dev.dfcache.api.dfdaemon.ExportTaskRequest;
import dev.dfcache.api.dfdaemon.ImportTaskRequest;
import dev.dfcache.api.local.TaskProgress;
import dev.dfcache.common.DfException;
import dev.dfcache.common.TaskIds;
import dev.dfcache.rpc.DaemonAddress;
import dev.dfcache.rpc.DaemonRpc;
import dev.dfcache.rpc.OneShotChannel;
import dev.dfcache.rpc.StreamingMethod;
import dev.dfcache.rpc.UnaryMethod;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ScopeType;

/**
 * {@code dfcache}: import a file into the P2P cache, stat, export and delete it, through the
 * local dfdaemon. Flags follow Dragonfly's dfcache. Exit 0 on success; 1 with "Error: ..." on
 * stderr on failure.
 */
@Command(
    name = "dfcache",
    mixinStandardHelpOptions = true,
    version = "dfcache 0.1.0",
    description = {
        "Put files into a P2P cache and get them out on any node, through the local dfdaemon.",
        "",
        // one string per paragraph: picocli wraps it to the terminal's 80 columns
        "A file is named by a content id (-i/--cid) and an optional tag (-t/--tag): the same pair "
            + "names the same task on every node. Other peers download it piece by piece from "
            + "every peer that holds it, and serve what they have to the next ones."},
    footer = {
        "",
        "Examples:",
        "  dfcache import -i model-v3 /data/model.bin     put a file into the cache",
        "  dfcache import /data/model.bin                 the same, named sha256:<hex> of its bytes",
        "  dfcache stat -i model-v3                      is it held by any live peer?",
        "  dfcache export -i model-v3 -O /tmp/model.bin  get it (from local cache or peers)",
        "  dfcache delete -i model-v3                    remove it from every node",
        "  dfcache delete -l -i model-v3                 drop only this node's copy",
        "  dfcache ls                                    the tasks this node holds",
        "  dfcache ls --cluster                          the tasks the whole fleet knows",
        "",
        "The daemon is reached on its unix socket: --daemon unix:PATH, else $DFCACHE_DAEMON, "
            + "else " + DfcacheCli.DEFAULT_DAEMON + ". The daemon reads and writes files as you: "
            + "you can import only what you may read and export only where you may write, and "
            + "the output is yours.",
        "",
        "On a terminal, import and export draw a progress bar on stderr (bytes, rate, ETA, the "
            + "peers the pieces came from); never with --json or -q. DFCACHE_PROGRESS=always "
            + "or never overrides the terminal check. --json, -q and --daemon go before or "
            + "after the command."})
public final class DfcacheCli {
  /**
   * The commands, registered by {@link #commandLine}: only the one being run when it is known.
   * Picocli reads every registered command's annotations up front, and that is a third of the
   * CLI's start-up.
   */
  static final Map<String, Supplier<Object>> COMMANDS = commands();

  private static Map<String, Supplier<Object>> commands() {
    Map<String, Supplier<Object>> m = new LinkedHashMap<>();
    m.put("stat", StatCommand::new);
    m.put("import", Import::new);
    m.put("export", Export::new);
    m.put("delete", Delete::new);
    m.put("ls", LsCommand::new);
    return m;
  }

  static final String DEFAULT_DAEMON = DaemonAddress.DEFAULT;

  /** Inherited by every command, so it may stand before or after the command name. */
  @Option(names = "--daemon", scope = ScopeType.INHERIT, paramLabel = "unix:PATH",
      description = "the dfdaemon's local API: unix:PATH (default: $DFCACHE_DAEMON or "
          + DEFAULT_DAEMON + "), or HOST:PORT for a daemon with the legacy TCP local API")
  String daemon;

  /** Inherited too: {@code dfcache --json stat ...} and {@code dfcache stat --json ...}. */
  @Option(names = "--json", scope = ScopeType.INHERIT,
      description = "print the result as one JSON object (no progress bar)")
  boolean json;

  @Option(names = {"-q", "--quiet"}, scope = ScopeType.INHERIT,
      description = "print nothing on success (no progress bar)")
  boolean quiet;

  /** Options every command has. */
  static class Common {
    @CommandLine.ParentCommand
    DfcacheCli parent;

    @Option(names = {"-i", "--cid"}, paramLabel = "CID",
        description = "content id: names the file in the cache (required, not blank; import "
            + "without one names the file by its content: sha256:<hex>)")
    String cid;

    @Option(names = {"-t", "--tag"}, defaultValue = "", paramLabel = "TAG",
        description = "tag: a different tag makes a different task for the same cid")
    String tag;

    @Option(names = {"-d", "--digest"}, defaultValue = "", paramLabel = "ALG:HEX",
        description = "content digest (sha256:<hex> or md5:<hex>); part of the task identity, "
            + "and the content is verified against it")
    String digest;

    @Option(names = "--timeout", defaultValue = "0", paramLabel = "DURATION",
        description = "give up after this long, e.g. 30s, 5m (0 = no timeout)")
    String timeout;

    /** --json, wherever it stood. */
    boolean json() {
      return parent.json;
    }

    /** -q/--quiet, wherever it stood. */
    boolean quiet() {
      return parent.quiet;
    }

    String url() {
      if (cid == null) {
        throw new CommandLine.ParameterException(new CommandLine(this),
            "Missing required option: '--cid=CID'");
      }
      if (cid.isBlank()) {
        throw new CommandLine.ParameterException(new CommandLine(this), "--cid must not be blank");
      }
      return TaskIds.urlForCid(cid);
    }

    UrlMeta meta() {
      return UrlMeta.newBuilder().setTag(tag).setDigest(digest).build();
    }

    Duration timeoutDuration() {
      return Units.parseDuration(timeout);
    }

    DaemonAddress daemonAddress() {
      String addr = parent.daemon != null ? parent.daemon : System.getenv("DFCACHE_DAEMON");
      return DaemonAddress.parse(addr == null || addr.isBlank() ? DEFAULT_DAEMON : addr);
    }

    /** Calls the daemon; prints the outcome; returns the exit code. */
    <Q extends Message> int run(String verb, UnaryMethod<Q, ?> method, Q request,
        Duration deadline, String successText) {
      long started = System.nanoTime();
      OneShotChannel channel = new OneShotChannel(daemonAddress());
      java.util.concurrent.atomic.AtomicReference<String> warning =
          new java.util.concurrent.atomic.AtomicReference<>("");
      try {
        method.call(DaemonRpc.capturingWarning(channel.channel(), warning), request, deadline);
      } catch (RuntimeException e) {
        return failed(verb, e);
      } finally {
        channel.close();
      }
      return succeeded(verb, started, successText, warning.get());
    }

    /**
     * An import or export: on a terminal (and without --json or -q) through the call that
     * reports progress, with a bar on stderr; else, or when the daemon does not know that call,
     * the unary one. Prints the outcome as {@link #run} does; returns the exit code.
     */
    <Q extends Message> int transfer(String verb, UnaryMethod<Q, ?> unary,
        StreamingMethod<Q, TaskProgress> watched, Q request, Duration deadline,
        String successText) {
      if (!ProgressCall.wanted(json(), quiet())) {
        return run(verb, unary, request, deadline, successText);
      }
      long started = System.nanoTime();
      OneShotChannel channel = new OneShotChannel(daemonAddress());
      TaskProgress done;
      try {
        done = ProgressCall.run(channel.channel(), watched, request, deadline, System.err);
      } catch (RuntimeException e) {
        return failed(verb, e);
      } finally {
        channel.close();
      }
      return done != null ? succeeded(verb, started, successText, done.getWarning())
          : run(verb, unary, request, deadline, successText);
    }

    /**
     * Prints a success; one with a warning (an import stored whose announce is postponed) also
     * prints {@code Warning: <text>} on stderr, even with -q, and with --json carries it. An
     * import's JSON says whether it was announced.
     */
    private int succeeded(String verb, long started, String successText, String warning) {
      long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
      if (json()) {
        List<Object> fields = new ArrayList<>(java.util.Arrays.asList("ok", true,
            "command", verb, "cid", cid, "taskId", TaskIds.taskId(url(), meta()), "ms", ms));
        if (verb.equals("import")) {
          fields.addAll(List.of("announced", warning.isEmpty()));
        }
        if (!warning.isEmpty()) {
          fields.addAll(List.of("warning", warning));
        }
        System.out.println(Json.object(fields.toArray()));
      } else if (!quiet()) {
        System.out.println(successText + " (" + ms + " ms)");
      }
      if (!warning.isEmpty()) {
        System.err.println("Warning: " + warning);
      }
      return 0;
    }

    /** Prints a failed call (as JSON too with --json); returns the exit code, 1. */
    int failed(String verb, RuntimeException e) {
      String text = failureText(e);
      if (json()) {
        System.out.println(Json.object("ok", false, "command", verb, "cid", cid,
            "code", DfException.of(e).code().getNumber(), "error", text));
      }
      System.err.println("Error: " + text);
      return 1;
    }

    /**
     * What a failed call says to the user. UNAVAILABLE is the transport failing to reach the
     * daemon; a daemon that cannot reach its scheduler answers with a coded error of its own.
     */
    String failureText(RuntimeException e) {
      boolean daemonUnreachable = e instanceof io.grpc.StatusRuntimeException sre
          && sre.getStatus().getCode() == io.grpc.Status.Code.UNAVAILABLE;
      return daemonUnreachable
          ? "cannot reach dfdaemon at " + daemonAddress() + " (" + whyUnreachable(e) + ")"
          : DfException.of(e).getMessage();
    }

    /** Why the connection failed: for a socket, what the file says (missing, not ours). */
    String whyUnreachable(Throwable e) {
      DaemonAddress address = daemonAddress();
      if (address.isUnix()) {
        Path socket = address.socket();
        if (!Files.exists(socket)) {
          return "no socket there: is dfdaemon running, with --socket " + socket + "?";
        }
        if (!Files.isWritable(socket)) {
          return "permission denied: you may not open " + socket + " (its group may)";
        }
      }
      return transportCause(e);
    }

    static String transportCause(Throwable e) {
      String why = e.getMessage();
      for (Throwable t = e.getCause(); t != null && t != t.getCause(); t = t.getCause()) {
        if (t.getMessage() != null) {
          why = t.getMessage();
        }
      }
      return why;
    }

    /** Deadline for the gRPC call: the timeout plus a margin, so the daemon answers first. */
    Duration callDeadline() {
      Duration t = timeoutDuration();
      return t.isZero() ? Duration.ZERO : t.plusSeconds(2);
    }
  }

  @Command(name = "import", mixinStandardHelpOptions = true,
      description = {"Copy a local file into the cache under a cid (and tag), and announce it "
          + "so that every node can export it. Importing a task that exists is fine.",
          "On a terminal, a progress bar on stderr shows the copy (DFCACHE_PROGRESS=always|never "
              + "overrides; none with --json or -q)."})
  static final class Import extends Common implements Callable<Integer> {
    @Option(names = {"-I", "--input"}, paramLabel = "FILE", description = "the file to import")
    Path input;

    @Parameters(index = "0", arity = "0..1", paramLabel = "FILE",
        description = "the file to import (instead of -I)")
    Path positional;

    @Option(names = "--ttl", paramLabel = "DURATION",
        description = "how long the task lives, e.g. 30m, 12h, 7d (1s..365d; default: the "
            + "daemon's default-ttl, 0 = until deleted); then every node drops it")
    String ttl;

    @Option(names = "--persistent-replica-count", paramLabel = "N",
        description = "complete copies the network keeps on distinct live hosts (1..64; default: "
            + "the daemon's default-replica-count, 1 = only this node's); the scheduler asks "
            + "other hosts to download it, and replaces a holder that dies or drops it")
    Integer replicas;

    @Override
    public Integer call() {
      Path file = input != null ? input : positional;
      if (file == null) {
        System.err.println("Error: give the file to import, with -I FILE or as an argument");
        return 1;
      }
      Path abs = file.toAbsolutePath().normalize();
      if (!Files.isRegularFile(abs)) {
        System.err.println("Error: " + (Files.isDirectory(abs) ? "input is a directory: "
            : "input file does not exist: ") + abs);
        return 1;
      }
      if (cid == null) {
        // Content-addressed: the same bytes are the same task on every node. The daemon
        // verifies the content against a sha256 cid while it imports.
        try {
          cid = "sha256:" + ContentAddress.sha256Hex(abs);
        } catch (java.io.IOException e) {
          System.err.println("Error: cannot read " + abs + ": " + e.getMessage());
          return 1;
        }
      }
      ImportTaskRequest req = ImportTaskRequest.newBuilder().setUrl(url()).setUrlMeta(meta())
          .setPath(abs.toString()).setType(TaskType.DfCache)
          .setTtl(ttl == null ? 0 : Units.parseDuration(ttl).toNanos())
          .setReplicaCount(replicas == null ? 0 : replicas < 1 ? -1 : replicas).build();
      return transfer("import", DaemonRpc.IMPORT_TASK, DaemonRpc.IMPORT_TASK_WITH_PROGRESS, req,
          callDeadline(), "imported " + cid);
    }
  }

  @Command(name = "export", mixinStandardHelpOptions = true,
      description = {"Write a task to a file: from the local cache, or downloaded from the peers "
          + "that hold it. The output must not exist yet; it is written under a temporary name "
          + "and renamed when complete, and it belongs to you (a copy of your own; root gets a "
          + "read-only hard link to the cache when possible).",
          "On a terminal, a progress bar on stderr shows bytes done, rate, ETA and how many "
              + "peers the pieces came from (DFCACHE_PROGRESS=always|never overrides; none "
              + "with --json or -q)."})
  static final class Export extends Common implements Callable<Integer> {
    @Option(names = {"-O", "--output"}, paramLabel = "FILE", description = "where to write it")
    Path output;

    @Parameters(index = "0", arity = "0..1", paramLabel = "FILE",
        description = "where to write it (instead of -O)")
    Path positional;

    @Option(names = {"-l", "--local"}, description = "only from this node's cache, never peers")
    boolean local;

    @Option(names = "--limit", defaultValue = "0", paramLabel = "SIZE",
        description = "download rate limit per second, e.g. 100MiB (0 = the daemon's default)")
    String limit;

    @Override
    public Integer call() {
      Path file = output != null ? output : positional;
      if (file == null) {
        System.err.println("Error: give the output file, with -O FILE or as an argument");
        return 1;
      }
      Path abs = file.toAbsolutePath().normalize();
      ExportTaskRequest req = ExportTaskRequest.newBuilder().setUrl(url()).setUrlMeta(meta())
          .setOutput(abs.toString()).setLocalOnly(local)
          .setTimeout(timeoutDuration().toNanos())
          .setLimit(Units.parseBytes(limit))
          .build();
      return transfer("export", DaemonRpc.EXPORT_TASK, DaemonRpc.EXPORT_TASK_WITH_PROGRESS, req,
          callDeadline(), "exported " + cid + " to " + abs);
    }
  }

  @Command(name = "delete", mixinStandardHelpOptions = true,
      description = {"Delete a task from the cache system: this node's copy and every other "
          + "node's. Holders that are down drop their copies when they come back (within "
          + "the scheduler's deletion-memory, 24h by default); importing the task again "
          + "afterwards starts it anew. Deleting a task that does not exist is fine.",
          "With -l/--local, only this node's copy goes; other holders keep serving it."})
  static final class Delete extends Common implements Callable<Integer> {
    @Option(names = {"-l", "--local"}, description = "remove only this node's copy")
    boolean local;

    @Override
    public Integer call() {
      DeleteTaskRequest req = DeleteTaskRequest.newBuilder().setUrl(url()).setUrlMeta(meta())
          .setLocalOnly(local).build();
      return run("delete", DaemonRpc.DELETE_TASK, req, callDeadline(),
          (local ? "deleted this node's copy of " : "deleted from the network: ") + cid);
    }
  }

  /** The command line with the command named in {@code args}, or with all (help, typos). */
  static CommandLine commandLine(String... args) {
    CommandLine cl = new CommandLine(new DfcacheCli());
    String chosen = commandNameIn(args);
    for (Map.Entry<String, Supplier<Object>> c : COMMANDS.entrySet()) {
      if (chosen == null || chosen.equals(c.getKey())) {
        cl.addSubcommand(c.getKey(), c.getValue().get());
      }
    }
    if (chosen == null) {
      cl.addSubcommand("help", new CommandLine.HelpCommand());
    }
    return cl;
  }

  /** The first argument that names a command, skipping --daemon's value; null if none does. */
  static String commandNameIn(String... args) {
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      if (a.equals("--daemon")) {
        i++;
      } else if (!a.startsWith("-")) {
        return COMMANDS.containsKey(a) ? a : null;
      }
    }
    return null;
  }

  public static int run(String... args) {
    CommandLine cl = commandLine(args);
    cl.setParameterExceptionHandler((ex, a) -> {
      PrintWriter err = ex.getCommandLine().getErr();
      err.println("Error: " + ex.getMessage());
      err.println("Try '" + ex.getCommandLine().getCommandSpec().qualifiedName() + " --help'.");
      return 1;
    });
    cl.setExecutionExceptionHandler((ex, c, p) -> {
      c.getErr().println("Error: " + ex.getMessage());
      return 1;
    });
    if (args.length == 0) {
      cl.usage(System.out);
      return 0;
    }
    return cl.execute(args);
  }

  public static void main(String[] args) {
    System.exit(run(args));
  }
}
