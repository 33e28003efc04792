package dev.dfcache.cli;

import com.google.protobuf.Message;
import dev.dfcache.api.local.TaskProgress;
import dev.dfcache.rpc.StreamingMethod;
import io.grpc.Channel;
import io.grpc.Metadata;
import io.grpc.Status;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * An export or import through its ...WithProgress call, drawing a {@link ProgressBar} on stderr
 * at each update the daemon sends (a few a second), and its last line when it succeeded.
 */
final class ProgressCall {
  private ProgressCall() {}

  /**
   * Whether to draw a bar: never with --json or -q; else as DFCACHE_PROGRESS says (always,
   * never), else when stderr is a terminal.
   */
  static boolean wanted(boolean json, boolean quiet) {
    if (json || quiet) {
      return false;
    }
    String forced = System.getenv("DFCACHE_PROGRESS");
    if ("always".equalsIgnoreCase(forced)) {
      return true;
    }
    if ("never".equalsIgnoreCase(forced)) {
      return false;
    }
    return stderrIsTerminal();
  }

  /**
   * Java tells only whether stdin and stdout both are a terminal (System.console()); the bar is
   * on stderr, which Linux names in /proc: a pseudo-terminal or a tty. Elsewhere, the console.
   */
  static boolean stderrIsTerminal() {
    try {
      String target = Files.readSymbolicLink(Path.of("/proc/self/fd/2")).toString();
      return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty");
    } catch (java.io.IOException | UnsupportedOperationException | SecurityException e) {
      return System.console() != null;
    }
  }

  /** The terminal's width: $COLUMNS when the shell exports it, else 80. */
  static int width() {
    try {
      int columns = Integer.parseInt(System.getenv().getOrDefault("COLUMNS", ""));
      return columns >= 20 ? columns : ProgressBar.DEFAULT_WIDTH;
    } catch (NumberFormatException e) {
      return ProgressBar.DEFAULT_WIDTH;
    }
  }

  /**
   * Runs the call, drawing on {@code err}. Returns the last message (finished, with the
   * warning of a success that has one), or null, having drawn nothing, when the daemon does not
   * know the call (older than it, or reached over TCP): the caller then makes the unary one.
   * Throws the call's error as the unary call would.
   */
  static <Q extends Message> TaskProgress run(Channel channel,
      StreamingMethod<Q, TaskProgress> method, Q request, Duration deadline, PrintStream err) {
    ProgressBar bar = new ProgressBar(width(), System.nanoTime());
    CompletableFuture<Status> closed = new CompletableFuture<>();
    TaskProgress[] last = {null};
    Metadata[] trailers = {null};
    StreamingMethod.Call<Q> call = method.open(channel, deadline,
        new StreamingMethod.Listener<>() {
          @Override
          public void onMessage(TaskProgress p) {
            last[0] = p;
            long now = System.nanoTime();
            String line = p.getFinished()
                ? bar.finalLine(p.getDoneBytes(), p.getTotalBytes(), p.getPeers(), now)
                : bar.line(p.getDoneBytes(), p.getTotalBytes(), p.getPeers(), now);
            err.print(bar.redraw(line));
            err.flush();
          }

          @Override
          public void onClose(Status status, Metadata t) {
            trailers[0] = t;
            closed.complete(status);
          }
        });
    call.send(request);
    call.halfClose();
    Status status;
    try {
      status = closed.get();
    } catch (InterruptedException e) {
      call.cancel("interrupted");
      Thread.currentThread().interrupt();
      throw Status.CANCELLED.withDescription("interrupted").asRuntimeException();
    } catch (ExecutionException e) {
      throw new IllegalStateException(e.getCause());
    }
    if (bar.drawn()) {
      err.println(); // the bar (or what there was of it) stays, and what follows goes below
    }
    if (status.getCode() == Status.Code.UNIMPLEMENTED && last[0] == null) {
      return null;
    }
    if (!status.isOk()) {
      throw status.asRuntimeException(trailers[0]);
    }
    return last[0] == null ? TaskProgress.getDefaultInstance() : last[0];
  }
}
