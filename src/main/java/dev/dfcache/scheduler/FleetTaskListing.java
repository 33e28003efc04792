package dev.dfcache.scheduler;

import dev.dfcache.api.peer.TaskHolder;
import dev.dfcache.api.peer.TaskPage;
import dev.dfcache.api.peer.TaskSummary;
import dev.dfcache.api.common.Code;
import dev.dfcache.common.DfException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;

/**
 * The tasks the whole fleet knows, a page at a time in task id order: every node's
 * {@link TaskDirectory} names its entities after the page token, the first {@code size} of the
 * merged ids make the page, and each of those entities is asked for its state. A task that
 * moves between nodes while a listing runs may be missed or shown twice across pages; one that
 * is gone by the time it is asked (deleted, passivated) answers Unknown and is left out. A node
 * or a task that does not answer in time fails the page (ServerUnavailable) rather than leave
 * tasks out unsaid.
 */
final class FleetTaskListing {
  static final int DEFAULT_PAGE = 100;
  static final int MAX_PAGE = 1000;
  private static final Duration NODE_TIMEOUT = Duration.ofSeconds(8);

  private final ActorSystem<?> system;
  private final ClusterSharding sharding;
  private final Duration askTimeout;

  FleetTaskListing(ActorSystem<?> system, Duration askTimeout) {
    this.system = system;
    this.sharding = ClusterSharding.get(system);
    this.askTimeout = askTimeout;
  }

  static int pageSize(int asked) {
    if (asked < 0 || asked > MAX_PAGE) {
      throw DfException.badRequest("page size must be within 1.." + MAX_PAGE + " (0 = "
          + DEFAULT_PAGE + ")");
    }
    return asked == 0 ? DEFAULT_PAGE : asked;
  }

  CompletionStage<TaskPage> page(String after, int size, boolean withHolders) {
    return directories()
        .thenCompose(dirs -> {
          List<CompletableFuture<TaskDirectory.LocalIds>> asks = new ArrayList<>();
          for (ActorRef<TaskDirectory.ListLocal> dir : dirs) {
            asks.add(AskPattern.<TaskDirectory.ListLocal, TaskDirectory.LocalIds>askWithStatus(
                    dir, replyTo -> new TaskDirectory.ListLocal(after, size, replyTo),
                    NODE_TIMEOUT, system.scheduler())
                .toCompletableFuture()
                .exceptionally(t -> {
                  // a page without that node's tasks would look complete and be wrong
                  throw new DfException(Code.ServerUnavailable, "scheduler node "
                      + dir.path().address() + " did not list its tasks within "
                      + NODE_TIMEOUT.toSeconds() + " s (" + rootCause(t).getMessage()
                      + "); try again");
                }));
          }
          return CompletableFuture.allOf(asks.toArray(CompletableFuture[]::new))
              .thenApply(done -> {
                TreeSet<String> merged = new TreeSet<>();
                asks.forEach(a -> merged.addAll(a.join().ids()));
                return merged;
              });
        })
        .thenCompose(ids -> {
          List<String> page = ids.stream().limit(size).toList();
          String next = ids.size() > size ? page.get(page.size() - 1) : "";
          List<CompletableFuture<TaskEntity.Reply>> stats = page.stream()
              .map(id -> sharding.entityRefFor(TaskEntity.TYPE_KEY, id)
                  .<TaskEntity.Reply>ask(withHolders ? TaskEntity.Describe::new
                      : TaskEntity.Stat::new, askTimeout)
                  .toCompletableFuture()
                  .exceptionally(t -> {
                    // gone tasks answer Unknown at once; no answer is a busy node, not an answer
                    throw new DfException(Code.ServerUnavailable, "task " + id
                        + " did not answer within " + askTimeout.toMillis() + " ms; try again");
                  }))
              .toList();
          return CompletableFuture.allOf(stats.toArray(CompletableFuture[]::new))
              .thenApply(done -> {
                TaskPage.Builder out = TaskPage.newBuilder().setNextPageToken(next);
                for (int i = 0; i < page.size(); i++) {
                  TaskEntity.Reply reply = stats.get(i).join();
                  if (reply instanceof TaskEntity.Status s) {
                    out.addTasks(summaryOf(page.get(i), s));
                  } else if (reply instanceof TaskEntity.Described d) {
                    out.addTasks(describedOf(page.get(i), d));
                  }
                }
                return out.build();
              });
        });
  }

  private static Throwable rootCause(Throwable t) {
    return t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
  }

  private CompletionStage<Set<ActorRef<TaskDirectory.ListLocal>>> directories() {
    return AskPattern.<Receptionist.Command, Receptionist.Listing>ask(system.receptionist(),
            replyTo -> Receptionist.find(TaskDirectory.KEY, replyTo), NODE_TIMEOUT,
            system.scheduler())
        .thenApply(listing -> listing.getServiceInstances(TaskDirectory.KEY));
  }

  /** One task with its holders, as the manager's console shows it. */
  static TaskSummary describedOf(String taskId, TaskEntity.Described d) {
    TaskSummary.Builder out = summaryOf(taskId, d.status()).toBuilder()
        .setPieceSize(d.status().info().pieceSize());
    for (TaskEntity.Holder h : d.holders()) {
      out.addHolders(TaskHolder.newBuilder()
          .setPeerId(h.peer().id())
          .setIp(h.peer().ip())
          .setHostname(h.peer().hostname())
          .setIdc(h.peer().idc())
          .setLocation(h.peer().location())
          .setPieces(h.pieces())
          .setDone(h.done()));
    }
    return out.build();
  }

  /** One task as listings and stat show it. */
  static TaskSummary summaryOf(String taskId, TaskEntity.Status s) {
    TaskInfo info = s.info();
    return TaskSummary.newBuilder()
        .setTaskId(taskId)
        .setUrl(info.url())
        .setTag(info.tag())
        .setContentLength(info.contentLength())
        .setTotalPieceCount(info.totalPieces())
        .setState(s.state())
        .setPeerCount(s.peerCount())
        .setReplicaCount(s.replicaCount())
        .setReplicasHeld(s.replicasHeld())
        .setExpiresAt(info.expiresAtMillis())
        .build();
  }
}
