package dev.dfcache.cli;

import dev.dfcache.api.dfdaemon.StatTaskRequest;
import dev.dfcache.api.local.CachedTask;
import dev.dfcache.api.local.TaskStatus;
import dev.dfcache.api.peer.TaskSummary;
import dev.dfcache.rpc.DaemonRpc;
import dev.dfcache.rpc.OneShotChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code dfcache stat}: whether a task exists, and what is known of it. */
@Command(name = "stat", mixinStandardHelpOptions = true,
    description = {"Tell whether a task exists: in the local cache, or (unless --local) on any "
        + "live peer. Exit 0 when it does, 1 when it does not.",
        "Prints this node's copy (size, age, TTL left) and the network's view: the state, "
            + "the peers that know the task, and the complete copies held on live hosts "
            + "against the copies its import asked for (--persistent-replica-count)."})
final class StatCommand extends DfcacheCli.Common implements Callable<Integer> {
  @Option(names = {"-l", "--local"}, description = "look only in this node's cache")
  boolean local;

  @Override
  public Integer call() {
    StatTaskRequest req = StatTaskRequest.newBuilder().setUrl(url()).setUrlMeta(meta())
        .setLocalOnly(local).build();
    Duration deadline = callDeadline().isZero() ? Duration.ofSeconds(30) : callDeadline();
    long started = System.nanoTime();
    OneShotChannel channel = new OneShotChannel(daemonAddress());
    TaskStatus status;
    try {
      status = DaemonRpc.DESCRIBE_TASK.call(channel.channel(), req, deadline);
    } catch (io.grpc.StatusRuntimeException e) {
      if (e.getStatus().getCode() != io.grpc.Status.Code.UNIMPLEMENTED) {
        return failed("stat", e);
      }
      // a daemon reached over the legacy TCP local API answers only the plain StatTask
      return run("stat", DaemonRpc.STAT_TASK, req, deadline, cid + " is available");
    } catch (RuntimeException e) {
      return failed("stat", e);
    } finally {
      channel.close();
    }
    long ms = (System.nanoTime() - started) / 1_000_000;
    if (json()) {
      System.out.println(Json.object("ok", true, "command", "stat", "cid", cid,
          "taskId", status.getTaskId(), "ms", ms,
          "local", status.hasLocal() ? localJson(status.getLocal()) : new Json.Raw("null"),
          "network", status.hasNetwork() ? networkJson(status.getNetwork())
              : new Json.Raw("null")));
    } else if (!quiet()) {
      System.out.println(cid + " is available (" + ms + " ms)");
      long now = System.currentTimeMillis();
      if (status.hasLocal()) {
        CachedTask t = status.getLocal();
        System.out.println("  here:    " + Units.formatBytes(t.getContentLength()) + ", "
            + t.getPieceCount() + (t.getPieceCount() == 1 ? " piece, " : " pieces, ")
            + Units.formatAge(Duration.ofMillis(
                Math.max(0, now - t.getCreatedAt()))) + " old"
            + (t.getReplicaCount() > 0 ? ", kept as one of " + t.getReplicaCount() + " copies"
                : ""));
      } else {
        System.out.println("  here:    no copy");
      }
      if (status.hasNetwork()) {
        TaskSummary n = status.getNetwork();
        System.out.println("  network: " + n.getState() + ", " + n.getPeerCount() + " peer"
            + (n.getPeerCount() == 1 ? "" : "s") + ", " + copies(n));
      }
      long expiresAt = status.hasNetwork() ? status.getNetwork().getExpiresAt()
          : status.getLocal().getExpiresAt();
      System.out.println("  expires: " + (expiresAt == 0 ? "never (no TTL)"
          : "in " + Units.formatAge(Duration.ofMillis(Math.max(0, expiresAt - now)))));
    }
    return 0;
  }

  static String copies(TaskSummary n) {
    return n.getReplicaCount() > 1
        ? n.getReplicasHeld() + " of " + n.getReplicaCount() + " copies held"
        : n.getReplicasHeld() + " complete cop" + (n.getReplicasHeld() == 1 ? "y" : "ies");
  }

  static Json.Raw localJson(CachedTask t) {
    return new Json.Raw(Json.object("bytes", t.getContentLength(), "pieces", t.getPieceCount(),
        "createdAt", t.getCreatedAt(), "expiresAt", t.getExpiresAt(),
        "replicaCount", t.getReplicaCount()));
  }

  static Json.Raw networkJson(TaskSummary n) {
    List<Object> kv = new ArrayList<>(List.of("taskId", n.getTaskId(), "bytes",
        n.getContentLength(), "pieces", n.getTotalPieceCount(), "state", n.getState(),
        "peers", n.getPeerCount(), "replicasWanted", Math.max(1, n.getReplicaCount()),
        "replicasHeld", n.getReplicasHeld(), "expiresAt", n.getExpiresAt()));
    if (!n.getUrl().isEmpty()) {
      kv.addAll(List.of("cid", dev.dfcache.common.TaskIds.cidOf(n.getUrl()), "tag", n.getTag()));
    }
    return new Json.Raw(Json.object(kv.toArray()));
  }
}
