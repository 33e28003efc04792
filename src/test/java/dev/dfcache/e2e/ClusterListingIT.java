package dev.dfcache.e2e;

import static dev.dfcache.e2e.LocalCluster.cli;
import static dev.dfcache.e2e.LocalCluster.freePort;
import static dev.dfcache.e2e.NetworkDeleteIT.ok;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dfcache.e2e.LocalCluster.CliResult;
import dev.dfcache.e2e.LocalCluster.Proc;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code dfcache ls --cluster}: the tasks of a fleet of two scheduler nodes (entities on both),
 * page by page and all at once, with their state and copies; {@code dfcache stat} of a task held
 * elsewhere; bad paging input.
 */
class ClusterListingIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  LocalCluster cluster;
  Path work;

  @BeforeEach
  void setUp() throws Exception {
    cluster = LocalCluster.inTempDir("dfcache-listing");
    work = cluster.work();
  }

  @AfterEach
  void tearDown() {
    cluster.close();
  }

  @Test
  void theFleetsTasksPageByPage() throws Exception {
    int c1 = freePort();
    int c2 = freePort();
    String seed = "127.0.0.1:" + c1;
    Proc s1 = cluster.scheduler("s1", List.of(seed), c1);
    Proc s2 = cluster.scheduler("s2", List.of(seed), c2);
    LocalCluster.awaitSchedulerMembers(2, s1, s2); // no shard moves while the test lists
    Proc a = cluster.daemon("a", s1.grpc() + "," + s2.grpc());
    Proc b = cluster.daemon("b", s2.grpc() + "," + s1.grpc());
    Set<String> imported = new HashSet<>();
    for (int i = 0; i < 7; i++) {
      Path f = Files.writeString(work.resolve("f" + i), "content " + i);
      ok(cli(a, "import", "-i", "listed-" + i, "-t", "v" + i, f.toString()));
      imported.add("listed-" + i);
    }
    ok(cli(a, "import", "-i", "short", "--ttl", "1h",
        Files.writeString(work.resolve("s"), "short").toString()));
    imported.add("short");

    // page by page, 3 at a time: every task once, in task id order
    List<String> seen = new ArrayList<>();
    List<String> taskIds = new ArrayList<>();
    String token = "";
    int pages = 0;
    do {
      List<String> args = new ArrayList<>(List.of("ls", "--cluster", "--json", "--page-size", "3"));
      if (!token.isEmpty()) {
        args.addAll(List.of("--page-token", token));
      }
      CliResult r = cli(b, args.toArray(String[]::new));
      ok(r);
      JsonNode page = JSON.readTree(r.out());
      assertTrue(page.get("tasks").size() <= 3, r.out());
      for (JsonNode t : page.get("tasks")) {
        seen.add(t.get("cid").asText());
        taskIds.add(t.get("taskId").asText());
        assertEquals("Succeeded", t.get("state").asText(), r.out());
        assertEquals(1, t.get("replicasHeld").asInt(), r.out());
        if (t.get("cid").asText().equals("short")) {
          assertTrue(t.get("expiresAt").asLong() > System.currentTimeMillis(), r.out());
        } else if (t.get("cid").asText().startsWith("listed-")) {
          assertEquals("v" + t.get("cid").asText().substring(7), t.get("tag").asText());
        }
      }
      token = page.get("nextPageToken").asText();
      pages++;
    } while (!token.isEmpty());
    assertEquals(imported, new HashSet<>(seen), "every task once: " + seen);
    assertEquals(imported.size(), seen.size(), "no task twice: " + seen);
    List<String> sorted = new ArrayList<>(taskIds);
    sorted.sort(null);
    assertEquals(sorted, taskIds, "task id order");
    assertEquals(3, pages);

    CliResult all = cli(b, "ls", "--cluster", "--all", "--page-size", "2");
    ok(all);
    for (String cid : imported) {
      assertTrue(all.out().contains(cid), all.toString());
    }
    assertTrue(all.out().contains(imported.size() + " tasks"), all.toString());

    CliResult first = cli(a, "ls", "--cluster", "--page-size", "5");
    ok(first);
    assertTrue(first.out().contains("next page: --page-token "), first.toString());

    // stat of a task held elsewhere: no copy here, one complete copy in the network
    CliResult stat = cli(b, "stat", "-i", "listed-0", "-t", "v0");
    ok(stat);
    assertTrue(stat.out().contains("here:    no copy"), stat.toString());
    assertTrue(stat.out().contains("network: Succeeded, 1 peer, 1 complete copy"),
        stat.toString());
    JsonNode statJson = JSON.readTree(cli(a, "stat", "--json", "-i", "short").out());
    assertEquals(5, statJson.get("local").get("bytes").asInt());
    assertTrue(statJson.get("network").get("expiresAt").asLong() > 0, statJson.toString());

    // bad input
    CliResult tooBig = cli(b, "ls", "--cluster", "--page-size", "5000");
    assertEquals(1, tooBig.exit(), tooBig.toString());
    assertTrue(tooBig.err().contains("page size must be within 1..1000"), tooBig.toString());
    CliResult badToken = cli(b, "ls", "--cluster", "--page-token", "../../etc");
    assertEquals(1, badToken.exit(), badToken.toString());
    assertTrue(badToken.err().startsWith("Error: "), badToken.toString());
    CliResult noCluster = cli(b, "ls", "--page-size", "3");
    assertEquals(1, noCluster.exit(), noCluster.toString());
    assertTrue(noCluster.err().contains("go with --cluster"), noCluster.toString());
  }
}
