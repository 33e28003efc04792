package dev.dfcache.rpc;

import com.google.protobuf.Empty;
import dev.dfcache.api.common.PiecePacket;
import dev.dfcache.api.common.PieceTaskRequest;
import dev.dfcache.api.dfdaemon.DeleteTaskRequest;
import dev.dfcache.api.dfdaemon.ExportTaskRequest;
import dev.dfcache.api.dfdaemon.ImportTaskRequest;
import dev.dfcache.api.dfdaemon.StatTaskRequest;

/** The dfdaemon.Daemon methods, for plain grpc-java callers. */
public final class DaemonRpc {
  private static final String SERVICE = "dfdaemon.Daemon";

  public static final UnaryMethod<StatTaskRequest, Empty> STAT_TASK =
      UnaryMethod.of(SERVICE, "StatTask", StatTaskRequest.getDefaultInstance(), Empty.getDefaultInstance());
  public static final UnaryMethod<ImportTaskRequest, Empty> IMPORT_TASK =
      UnaryMethod.of(SERVICE, "ImportTask", ImportTaskRequest.getDefaultInstance(), Empty.getDefaultInstance());
  public static final UnaryMethod<ExportTaskRequest, Empty> EXPORT_TASK =
      UnaryMethod.of(SERVICE, "ExportTask", ExportTaskRequest.getDefaultInstance(), Empty.getDefaultInstance());
  public static final UnaryMethod<DeleteTaskRequest, Empty> DELETE_TASK =
      UnaryMethod.of(SERVICE, "DeleteTask", DeleteTaskRequest.getDefaultInstance(), Empty.getDefaultInstance());
  public static final UnaryMethod<Empty, Empty> CHECK_HEALTH =
      UnaryMethod.of(SERVICE, "CheckHealth", Empty.getDefaultInstance(), Empty.getDefaultInstance());
  public static final UnaryMethod<PieceTaskRequest, PiecePacket> GET_PIECE_TASKS =
      UnaryMethod.of(SERVICE, "GetPieceTasks", PieceTaskRequest.getDefaultInstance(), PiecePacket.getDefaultInstance());

  public static final StreamingMethod<PieceTaskRequest, PiecePacket> SYNC_PIECE_TASKS =
      StreamingMethod.of(SERVICE, "SyncPieceTasks", PieceTaskRequest.getDefaultInstance(), PiecePacket.getDefaultInstance());

  /** dfcache's own local call (unix socket only): the tasks this node holds. */
  public static final UnaryMethod<dev.dfcache.api.local.ListTasksRequest,
      dev.dfcache.api.local.TaskList> LIST_TASKS = UnaryMethod.of("dfcache.LocalDaemon",
          "ListTasks", dev.dfcache.api.local.ListTasksRequest.getDefaultInstance(),
          dev.dfcache.api.local.TaskList.getDefaultInstance());

  /** dfcache's own local call (unix socket only): what is known of one task. */
  public static final UnaryMethod<StatTaskRequest, dev.dfcache.api.local.TaskStatus>
      DESCRIBE_TASK = UnaryMethod.of("dfcache.LocalDaemon", "DescribeTask",
          StatTaskRequest.getDefaultInstance(),
          dev.dfcache.api.local.TaskStatus.getDefaultInstance());

  /** dfcache's own local call (unix socket only): ExportTask, telling how far it has got. */
  public static final StreamingMethod<ExportTaskRequest, dev.dfcache.api.local.TaskProgress>
      EXPORT_TASK_WITH_PROGRESS = StreamingMethod.serverStreaming("dfcache.LocalDaemon",
          "ExportTaskWithProgress", ExportTaskRequest.getDefaultInstance(),
          dev.dfcache.api.local.TaskProgress.getDefaultInstance());

  /** dfcache's own local call (unix socket only): ImportTask, telling how far it has got. */
  public static final StreamingMethod<ImportTaskRequest, dev.dfcache.api.local.TaskProgress>
      IMPORT_TASK_WITH_PROGRESS = StreamingMethod.serverStreaming("dfcache.LocalDaemon",
          "ImportTaskWithProgress", ImportTaskRequest.getDefaultInstance(),
          dev.dfcache.api.local.TaskProgress.getDefaultInstance());

  /**
   * A trailer of a call that succeeded with something the caller should know (an import stored
   * but its announce postponed: no scheduler known yet), in UTF-8. Dragonfly's clients ignore it.
   */
  public static final io.grpc.Metadata.Key<byte[]> WARNING =
      io.grpc.Metadata.Key.of("dfcache-warning-bin", io.grpc.Metadata.BINARY_BYTE_MARSHALLER);

  /** The warning a call's trailers carry, "" without one. */
  public static String warningIn(io.grpc.Metadata trailers) {
    byte[] w = trailers == null ? null : trailers.get(WARNING);
    return w == null ? "" : new String(w, java.nio.charset.StandardCharsets.UTF_8);
  }

  /** {@code channel}, its calls' warning trailers put into {@code warning} as they close. */
  public static io.grpc.Channel capturingWarning(io.grpc.Channel channel,
      java.util.concurrent.atomic.AtomicReference<String> warning) {
    return io.grpc.ClientInterceptors.intercept(channel, new io.grpc.ClientInterceptor() {
      @Override
      public <Q, R> io.grpc.ClientCall<Q, R> interceptCall(io.grpc.MethodDescriptor<Q, R> method,
          io.grpc.CallOptions options, io.grpc.Channel next) {
        return new io.grpc.ForwardingClientCall.SimpleForwardingClientCall<>(
            next.newCall(method, options)) {
          @Override
          public void start(Listener<R> listener, io.grpc.Metadata headers) {
            super.start(new io.grpc.ForwardingClientCallListener
                .SimpleForwardingClientCallListener<>(listener) {
              @Override
              public void onClose(io.grpc.Status status, io.grpc.Metadata trailers) {
                warning.set(warningIn(trailers));
                super.onClose(status, trailers);
              }
            }, headers);
          }
        };
      }
    });
  }

  private DaemonRpc() {}
}
