package dev.dfcache.cli;

import dev.dfcache.api.local.CachedTask;
import dev.dfcache.api.local.ListTasksRequest;
import dev.dfcache.api.local.TaskList;
import dev.dfcache.api.peer.TaskSummary;
import dev.dfcache.common.TaskIds;
import dev.dfcache.rpc.DaemonRpc;
import dev.dfcache.rpc.OneShotChannel;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code dfcache ls}: the tasks this node holds, or (--cluster) the fleet knows. */
@Command(name = "ls", mixinStandardHelpOptions = true,
    description = {"List the tasks this node holds: cid, tag, size, age, the time left "
        + "before its TTL runs out ('-' = no TTL), and the copies the network keeps when this "
        + "copy is one of them (replicas are evicted last). Oldest first.",
        "With --cluster, the tasks the whole scheduler fleet knows, in task id order, a page "
            + "at a time (--page-size, default 100): cid, tag, size, state, peers, complete "
            + "copies held (and wanted), TTL left. The last line names the next page's "
            + "--page-token; --all walks every page."})
final class LsCommand extends DfcacheCli.Common implements Callable<Integer> {
  @Option(names = "--cluster", description = "the tasks the scheduler fleet knows")
  boolean cluster;

  @Option(names = "--page-size", defaultValue = "0", paramLabel = "N",
      description = "with --cluster: tasks per page, 1..1000 (default 100)")
  int pageSize;

  @Option(names = "--page-token", defaultValue = "", paramLabel = "TOKEN",
      description = "with --cluster: the page after this token (printed with the page before)")
  String pageToken;

  @Option(names = "--all", description = "with --cluster: every page, one after another")
  boolean all;

  @Override
  public Integer call() {
    if (!cluster && (pageSize != 0 || !pageToken.isEmpty() || all)) {
      System.err.println("Error: --page-size, --page-token and --all go with --cluster");
      return 1;
    }
    String token = pageToken;
    boolean header = true;
    int total = 0;
    StringBuilder jsonTasks = new StringBuilder();
    while (true) {
      TaskList list;
      OneShotChannel channel = new OneShotChannel(daemonAddress());
      try {
        list = DaemonRpc.LIST_TASKS.call(channel.channel(), ListTasksRequest.newBuilder()
            .setCluster(cluster).setPageSize(pageSize).setPageToken(token).build(),
            callDeadline());
      } catch (RuntimeException e) {
        return failed("ls", e);
      } finally {
        channel.close();
      }
      if (!cluster) {
        return printLocal(list);
      }
      total += list.getClusterTasksCount();
      if (json()) {
        for (TaskSummary t : list.getClusterTasksList()) {
          jsonTasks.append(jsonTasks.length() == 0 ? "" : ",")
              .append(StatCommand.networkJson(t).json());
        }
      } else {
        printCluster(list, header);
        header = false;
      }
      token = list.getNextPageToken();
      if (!all || token.isEmpty()) {
        break;
      }
    }
    if (json()) {
      System.out.println(Json.object("ok", true, "command", "ls", "cluster", true,
          "tasks", new Json.Raw("[" + jsonTasks + "]"), "nextPageToken", token));
    } else if (!quiet()) {
      System.out.println(total + " task" + (total == 1 ? "" : "s")
          + (token.isEmpty() ? "" : "; next page: --page-token " + token));
    }
    return 0;
  }

  private int printLocal(TaskList list) {
    long now = System.currentTimeMillis();
    if (json()) {
      System.out.println(Json.object("ok", true, "command", "ls", "tasks",
          Json.array(list.getTasksList().stream().map(t -> Json.object("cid", t.getCid(),
              "tag", t.getTag(), "taskId", t.getTaskId(), "bytes", t.getContentLength(),
              "pieces", t.getPieceCount(), "createdAt", t.getCreatedAt(),
              "expiresAt", t.getExpiresAt(), "replicaCount", t.getReplicaCount())).toList())));
      return 0;
    }
    System.out.printf("%-40s %-10s %10s %8s %9s %7s%n", "CID", "TAG", "SIZE", "AGE",
        "TTL LEFT", "COPIES");
    for (CachedTask t : list.getTasksList()) {
      System.out.printf("%-40s %-10s %10s %8s %9s %7s%n", t.getCid(),
          t.getTag().isEmpty() ? "-" : t.getTag(), Units.formatBytes(t.getContentLength()),
          Units.formatAge(Duration.ofMillis(Math.max(0, now - t.getCreatedAt()))),
          ttlLeft(t.getExpiresAt(), now),
          t.getReplicaCount() == 0 ? "-" : Integer.toString(t.getReplicaCount()));
    }
    if (!quiet()) {
      System.out.println(list.getTasksCount() + " task" + (list.getTasksCount() == 1 ? "" : "s"));
    }
    return 0;
  }

  private static void printCluster(TaskList list, boolean header) {
    long now = System.currentTimeMillis();
    if (header) {
      System.out.printf("%-40s %-10s %10s %-9s %5s %7s %9s%n", "CID", "TAG", "SIZE", "STATE",
          "PEERS", "COPIES", "TTL LEFT");
    }
    for (TaskSummary t : list.getClusterTasksList()) {
      String copies = t.getReplicaCount() > 1
          ? t.getReplicasHeld() + "/" + t.getReplicaCount() : Integer.toString(t.getReplicasHeld());
      System.out.printf("%-40s %-10s %10s %-9s %5d %7s %9s%n",
          t.getUrl().isEmpty() ? "(task " + t.getTaskId() + ")" : TaskIds.cidOf(t.getUrl()),
          t.getTag().isEmpty() ? "-" : t.getTag(), Units.formatBytes(t.getContentLength()),
          t.getState(), t.getPeerCount(), copies, ttlLeft(t.getExpiresAt(), now));
    }
  }

  private static String ttlLeft(long expiresAt, long now) {
    return expiresAt == 0 ? "-"
        : Units.formatAge(Duration.ofMillis(Math.max(0, expiresAt - now)));
  }
}
