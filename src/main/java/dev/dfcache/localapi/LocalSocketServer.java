package dev.dfcache.localapi;

import com.google.protobuf.Empty;
import dev.dfcache.access.Caller;
import dev.dfcache.common.DfException;
import dev.dfcache.common.GrpcErrors;
import dev.dfcache.common.TransferProgress;
import dev.dfcache.api.local.TaskProgress;
import dev.dfcache.daemon.LocalApi;
import dev.dfcache.rpc.DaemonRpc;
import dev.dfcache.rpc.RawBytes;
import dev.dfcache.rpc.StreamingMethod;
import dev.dfcache.rpc.UnaryMethod;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.MethodDescriptor;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.Parser;
import dev.dfcache.api.dfdaemon.DeleteTaskRequest;
import dev.dfcache.api.dfdaemon.ExportTaskRequest;
import dev.dfcache.api.dfdaemon.ImportTaskRequest;
import dev.dfcache.api.dfdaemon.StatTaskRequest;
import java.util.concurrent.CompletableFuture;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.unix.DomainSocketAddress;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The local API on a unix domain socket, served with grpc-java directly (pekko-http cannot bind
 * one: apache/pekko#3043). Only who can open the socket file may call (its mode and group, in a
 * directory that is not world-writable), and every call acts for the process the kernel names at
 * the other end (SO_PEERCRED), never for anyone a request field names.
 */
public final class LocalSocketServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(LocalSocketServer.class);
  private static final Context.Key<Caller> CALLER = Context.key("dfcache.caller");
  /** How often a ...WithProgress call may tell how far it got: a terminal redraws that often. */
  static final long PROGRESS_EVERY_MILLIS = 200;

  /** Where and how the socket is made. */
  public record Settings(Path socket, String mode, String group) {}

  private final Server server;
  private final EventLoopGroup loops;
  private final Path socket;

  private LocalSocketServer(Server server, EventLoopGroup loops, Path socket) {
    this.server = server;
    this.loops = loops;
    this.socket = socket;
  }

  /**
   * Binds the socket under a temporary name, gives it its mode and group, then renames it into
   * place: no one can connect before the permissions are right.
   *
   * @param access what a caller may read and write, given the caller
   */
  public static LocalSocketServer start(Settings settings, LocalApi api,
      java.util.function.Function<Caller, LocalApi.Access> access) throws IOException {
    Path socket = settings.socket().toAbsolutePath().normalize();
    Set<PosixFilePermission> mode = parseMode(settings.mode());
    prepareDirectory(socket.getParent());
    removeStale(socket);
    Path bound = socket.resolveSibling("." + socket.getFileName() + "." + ProcessHandle.current().pid());
    Files.deleteIfExists(bound);
    EventLoopGroup loops = new EpollEventLoopGroup(2);
    Server server = NettyServerBuilder.forAddress(new DomainSocketAddress(bound.toString()))
        .channelType(EpollServerDomainSocketChannel.class)
        .bossEventLoopGroup(loops)
        .workerEventLoopGroup(loops)
        .protocolNegotiator(new PeerCredentialsNegotiator())
        .addService(ServerInterceptors.intercept(service(api, access), new CallerInterceptor()))
        .addService(ServerInterceptors.intercept(ownService(api, access, loops),
            new CallerInterceptor()))
        .build()
        .start();
    try {
      Files.setPosixFilePermissions(bound, mode);
      if (!settings.group().isBlank()) {
        GroupPrincipal group = bound.getFileSystem().getUserPrincipalLookupService()
            .lookupPrincipalByGroupName(settings.group());
        Files.getFileAttributeView(bound, PosixFileAttributeView.class,
            LinkOption.NOFOLLOW_LINKS).setGroup(group);
      }
      Files.move(bound, socket, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException | RuntimeException e) {
      server.shutdownNow();
      loops.shutdownGracefully(0, 1, TimeUnit.SECONDS);
      Files.deleteIfExists(bound);
      if (e instanceof java.nio.file.attribute.UserPrincipalNotFoundException) {
        throw new IOException("socket group " + settings.group() + " does not exist");
      }
      throw e;
    }
    log.info("local API on unix:{} (mode {}, group {})", socket,
        PosixFilePermissions.toString(mode),
        settings.group().isBlank() ? "the daemon's" : settings.group());
    return new LocalSocketServer(server, loops, socket);
  }

  /**
   * dfcache's own local methods. The ...WithProgress ones are the unary ExportTask and
   * ImportTask, for the same caller, with a progress counter to watch.
   */
  private static ServerServiceDefinition ownService(LocalApi api,
      java.util.function.Function<Caller, LocalApi.Access> access,
      ScheduledExecutorService ticker) {
    return ServerServiceDefinition.builder("dfcache.LocalDaemon")
        .addMethod(method(DaemonRpc.LIST_TASKS,
            dev.dfcache.api.local.ListTasksRequest.parser(), (q, c) -> api.listTasks(q)))
        .addMethod(method(DaemonRpc.DESCRIBE_TASK, StatTaskRequest.parser(),
            (q, c) -> api.describeTask(q)))
        .addMethod(progressMethod(DaemonRpc.EXPORT_TASK_WITH_PROGRESS,
            ExportTaskRequest.parser(),
            (q, c, progress) -> api.exportTask(q, access.apply(c), progress), ticker))
        .addMethod(progressMethod(DaemonRpc.IMPORT_TASK_WITH_PROGRESS,
            ImportTaskRequest.parser(),
            (q, c, progress) -> api.importTask(q, access.apply(c), progress), ticker))
        .build();
  }

  /** grpc-java's view of dfdaemon.Daemon's local methods, each handed the caller. */
  private static ServerServiceDefinition service(LocalApi api,
      java.util.function.Function<Caller, LocalApi.Access> access) {
    return ServerServiceDefinition.builder("dfdaemon.Daemon")
        .addMethod(method(DaemonRpc.STAT_TASK, StatTaskRequest.parser(),
            (q, c) -> api.stat(q)))
        .addMethod(answeringMethod(DaemonRpc.IMPORT_TASK, ImportTaskRequest.parser(),
            (q, c) -> api.importTask(q, access.apply(c)).thenApply(imported ->
                new Answer<>(Empty.getDefaultInstance(), imported.warning()))))
        .addMethod(method(DaemonRpc.EXPORT_TASK, ExportTaskRequest.parser(),
            (q, c) -> api.exportTask(q, access.apply(c))))
        .addMethod(method(DaemonRpc.DELETE_TASK, DeleteTaskRequest.parser(),
            (q, c) -> api.deleteTask(q)))
        .addMethod(method(DaemonRpc.CHECK_HEALTH, Empty.parser(),
            (q, c) -> CompletableFuture.completedFuture(Empty.getDefaultInstance())))
        .build();
  }

  /**
   * One unary method. The request arrives as bytes and is parsed here, so that a malformed one
   * is answered like every other bad request (1400), not with grpc-java's INTERNAL.
   */
  private static <Q extends Message, R extends Message> ServerMethodDefinition<byte[], R> method(
      UnaryMethod<Q, R> rpc, Parser<Q> parser, BiFunction<Q, Caller, CompletionStage<R>> call) {
    return answeringMethod(rpc, parser,
        (q, c) -> call.apply(q, c).thenApply(r -> new Answer<>(r, "")));
  }

  /** A unary call's answer, and the warning for its trailers ("" = none). */
  record Answer<R>(R message, String warning) {}

  /** One unary method whose success may carry a warning (in the trailer DaemonRpc.WARNING). */
  private static <Q extends Message, R extends Message> ServerMethodDefinition<byte[], R>
      answeringMethod(UnaryMethod<Q, R> rpc, Parser<Q> parser,
          BiFunction<Q, Caller, CompletionStage<Answer<R>>> call) {
    MethodDescriptor<byte[], R> descriptor = rpc.descriptor().toBuilder(
        RawBytes.MARSHALLER, rpc.descriptor().getResponseMarshaller()).build();
    ServerCallHandler<byte[], R> handler = (serverCall, headers) -> {
      serverCall.request(2); // one message, and see a second one as the client's error
      return new UnaryListener<>(serverCall, parser, call);
    };
    return ServerMethodDefinition.create(descriptor, handler);
  }

  /** A transfer whose progress a call watches: the unary call's method, given a counter. */
  interface WatchedTransfer<Q> {
    CompletionStage<?> start(Q request, Caller caller, TransferProgress progress);
  }

  /**
   * One server-streaming ...WithProgress method: a request like the unary call's, answered with
   * TaskProgress messages while the transfer runs, a finished one, and the unary call's error on
   * failure.
   */
  private static <Q extends Message> ServerMethodDefinition<byte[], TaskProgress> progressMethod(
      StreamingMethod<Q, TaskProgress> rpc, Parser<Q> parser, WatchedTransfer<Q> transfer,
      ScheduledExecutorService ticker) {
    MethodDescriptor<byte[], TaskProgress> descriptor = rpc.descriptor().toBuilder(
        RawBytes.MARSHALLER, rpc.descriptor().getResponseMarshaller()).build();
    ServerCallHandler<byte[], TaskProgress> handler = (serverCall, headers) -> {
      serverCall.request(2);
      return new ProgressListener<>(serverCall, parser, transfer, ticker);
    };
    return ServerMethodDefinition.create(descriptor, handler);
  }

  /** A call with one request: its bytes, parsed when the client half-closes, then started. */
  private abstract static class OneRequestListener<Q extends Message, R extends Message>
      extends ServerCall.Listener<byte[]> {
    final ServerCall<byte[], R> serverCall;
    final Caller caller = CALLER.get();
    private final Parser<Q> parser;
    private byte[] bytes;

    OneRequestListener(ServerCall<byte[], R> serverCall, Parser<Q> parser) {
      this.serverCall = serverCall;
      this.parser = parser;
    }

    @Override
    public void onMessage(byte[] message) {
      if (bytes != null) {
        fail(serverCall, DfException.badRequest("a call of one request got a second one"));
      }
      bytes = message;
    }

    @Override
    public void onHalfClose() {
      if (bytes == null) {
        fail(serverCall, DfException.badRequest("no request message"));
        return;
      }
      try {
        Q request;
        try {
          request = parser.parseFrom(bytes);
        } catch (InvalidProtocolBufferException e) {
          throw DfException.badRequest("malformed request: " + e.getMessage());
        }
        start(request);
      } catch (RuntimeException e) {
        fail(serverCall, e);
      }
    }

    /** Runs the method; a RuntimeException it throws is the call's error. */
    abstract void start(Q request);
  }

  /** One unary call: the request bytes, then the method's answer or its coded error. */
  private static final class UnaryListener<Q extends Message, R extends Message>
      extends OneRequestListener<Q, R> {
    private final BiFunction<Q, Caller, CompletionStage<Answer<R>>> method;

    UnaryListener(ServerCall<byte[], R> serverCall, Parser<Q> parser,
        BiFunction<Q, Caller, CompletionStage<Answer<R>>> method) {
      super(serverCall, parser);
      this.method = method;
    }

    @Override
    void start(Q request) {
      method.apply(request, caller).whenComplete((answer, failure) -> {
        if (failure != null) {
          fail(serverCall, failure);
        } else {
          Metadata trailers = new Metadata();
          if (!answer.warning().isEmpty()) {
            trailers.put(DaemonRpc.WARNING,
                answer.warning().getBytes(java.nio.charset.StandardCharsets.UTF_8));
          }
          synchronized (serverCall) {
            serverCall.sendHeaders(new Metadata());
            serverCall.sendMessage(answer.message());
            serverCall.close(Status.OK, trailers);
          }
        }
      });
    }
  }

  /**
   * One ...WithProgress call: the transfer's counters sent every {@link #PROGRESS_EVERY_MILLIS}
   * when they moved, then the last ones with finished set, or the transfer's error. A client that
   * reads slowly misses updates rather than queueing them; one that goes away stops the ticker
   * (the transfer itself goes on, as a unary call's does).
   */
  private static final class ProgressListener<Q extends Message>
      extends OneRequestListener<Q, TaskProgress> {
    private final WatchedTransfer<Q> transfer;
    private final ScheduledExecutorService ticker;
    private final TransferProgress progress = new TransferProgress();
    private volatile ScheduledFuture<?> tick;
    /** Guarded by serverCall's monitor, as every use of the call here. */
    private boolean headersSent;
    private boolean closed;
    private TransferProgress.Snapshot lastSent;

    ProgressListener(ServerCall<byte[], TaskProgress> serverCall, Parser<Q> parser,
        WatchedTransfer<Q> transfer, ScheduledExecutorService ticker) {
      super(serverCall, parser);
      this.transfer = transfer;
      this.ticker = ticker;
    }

    @Override
    void start(Q request) {
      // ticking before the transfer starts: one that ends at once still stops the ticker
      tick = ticker.scheduleAtFixedRate(() -> send(false), PROGRESS_EVERY_MILLIS,
          PROGRESS_EVERY_MILLIS, TimeUnit.MILLISECONDS);
      CompletionStage<?> result;
      try {
        result = transfer.start(request, caller, progress);
      } catch (RuntimeException e) {
        stopTicking();
        throw e;
      }
      result.whenComplete((ok, failure) -> {
        stopTicking();
        if (failure != null) {
          synchronized (serverCall) {
            closed = true;
          }
          fail(serverCall, failure);
        } else {
          warning = ok instanceof LocalApi.Imported imported ? imported.warning() : "";
          send(true);
        }
      });
    }

    /** Of the transfer that succeeded, for its finished message ("" = none). */
    private volatile String warning = "";

    private void send(boolean finished) {
      TransferProgress.Snapshot now = progress.snapshot();
      synchronized (serverCall) {
        if (closed || (!finished && (now.equals(lastSent) || !serverCall.isReady()))) {
          return;
        }
        try {
          if (!headersSent) {
            serverCall.sendHeaders(new Metadata());
            headersSent = true;
          }
          serverCall.sendMessage(TaskProgress.newBuilder().setDoneBytes(now.done())
              .setTotalBytes(now.total()).setPeers(now.peers()).setFinished(finished)
              .setWarning(finished ? warning : "").build());
          lastSent = now;
          if (finished) {
            closed = true;
            serverCall.close(Status.OK, new Metadata());
          }
        } catch (IllegalStateException alreadyClosed) {
          closed = true; // the client went away
        }
      }
    }

    private void stopTicking() {
      ScheduledFuture<?> t = tick;
      if (t != null) {
        t.cancel(false);
      }
    }

    @Override
    public void onCancel() {
      stopTicking();
      synchronized (serverCall) {
        closed = true;
      }
    }
  }

  private static void fail(ServerCall<?, ?> call, Throwable failure) {
    StatusRuntimeException e = GrpcErrors.toStatusException(DfException.of(failure));
    synchronized (call) {
      try {
        call.close(e.getStatus(), e.getTrailers());
      } catch (IllegalStateException alreadyClosed) {
        // the client went away, or a second message came after the first failure
      }
    }
  }



  /** Puts the connection's caller into each call's context; no caller, no call. */
  private static final class CallerInterceptor implements ServerInterceptor {
    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
        ServerCallHandler<Q, R> next) {
      Caller caller = call.getAttributes().get(PeerCredentialsNegotiator.CALLER);
      if (caller == null) {
        DfException refused = DfException.permissionDenied(
            "the daemon could not tell who is calling (no peer credentials)");
        io.grpc.StatusRuntimeException e = GrpcErrors.toStatusException(refused);
        call.close(e.getStatus(), e.getTrailers());
        return new ServerCall.Listener<>() {};
      }
      return Contexts.interceptCall(Context.current().withValue(CALLER, caller), call, headers,
          next);
    }
  }

  /**
   * The socket's directory is made if missing (0755) and must not be world-writable: anyone
   * could otherwise replace the socket with one of their own and see what clients send.
   */
  private static void prepareDirectory(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      Files.createDirectories(dir);
      Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    }
    PosixFileAttributes attrs = Files.readAttributes(dir, PosixFileAttributes.class);
    if (attrs.permissions().contains(PosixFilePermission.OTHERS_WRITE)) {
      throw new IOException("the socket's directory " + dir + " is world-writable (anyone could "
          + "replace the socket): use a directory of its own, e.g. /run/dfcache");
    }
  }

  /** A socket left by a daemon that died is removed; anything else at the path is an error. */
  private static void removeStale(Path socket) throws IOException {
    if (!Files.exists(socket, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    Object type = Files.getAttribute(socket, "unix:mode", LinkOption.NOFOLLOW_LINKS);
    if ((((Integer) type) & 0170000) != 0140000) {
      throw new IOException(socket + " exists and is not a socket: not replacing it");
    }
    Files.delete(socket);
  }

  static Set<PosixFilePermission> parseMode(String octal) {
    int bits;
    try {
      bits = Integer.parseInt(octal, 8);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("socket mode must be octal like 0660, not " + octal);
    }
    if (bits < 0 || bits > 0777) {
      throw new IllegalArgumentException("socket mode must be within 0000..0777: " + octal);
    }
    StringBuilder rwx = new StringBuilder();
    String letters = "rwxrwxrwx";
    for (int i = 0; i < 9; i++) {
      rwx.append((bits & (1 << (8 - i))) != 0 ? letters.charAt(i) : '-');
    }
    return PosixFilePermissions.fromString(rwx.toString());
  }

  public Path socket() {
    return socket;
  }

  @Override
  public void close() {
    server.shutdownNow();
    try {
      server.awaitTermination(2, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    loops.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    try {
      Files.deleteIfExists(socket);
    } catch (IOException e) {
      log.warn("could not remove {}: {}", socket, e.toString());
    }
  }
}
