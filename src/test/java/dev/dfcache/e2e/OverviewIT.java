package dev.dfcache.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.dfcache.api.manager.KeepAliveRequest;
import dev.dfcache.api.manager.ListSchedulersRequest;
import dev.dfcache.api.manager.MetricsSummary;
import dev.dfcache.api.manager.SourceType;
import dev.dfcache.api.manager.UpdateSchedulerRequest;
import dev.dfcache.common.HostPort;
import dev.dfcache.e2e.LocalCluster.Proc;
import dev.dfcache.manager.db.MetricRepository.Sample;
import dev.dfcache.manager.db.MinuteReference;
import dev.dfcache.rpc.Channels;
import dev.dfcache.rpc.ManagerRpc;
import io.grpc.ManagedChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The overview at scale, against a real manager process on its embedded H2 database
 * ({@link OverviewPostgresIT}: on PostgreSQL): 200 components (4 schedulers, 196 peers) register
 * and send four rounds of keep-alives with known metrics through the manager's real gRPC API;
 * /metrics/latest gives the newest sample of every one of them with its rates, and the minutes of
 * /metrics/minutes add up to the counters' growth and equal the same rules worked out here on the
 * stored rows. Bad queries are refused with 400/401/404.
 */
class OverviewIT {
  static final String PASSWORD = "correct-horse-battery";
  static final int SCHEDULERS = 4;
  static final int PEERS = 196;
  static final int ROUNDS = 4;
  /** The peer that restarts before the third round: its counters go down. */
  static final int RESTARTED = 17;
  static final Duration DEADLINE = Duration.ofSeconds(20);

  LocalCluster cluster;

  @BeforeEach
  void setUp() throws Exception {
    cluster = LocalCluster.inTempDir("dfcache-overview");
  }

  @AfterEach
  void tearDown() throws Exception {
    cluster.close();
  }

  /** Flags that choose the database: none = the embedded H2 file. */
  List<String> databaseArgs() throws Exception {
    return List.of();
  }

  /** What component n sends in a round: counters that grow by known amounts. */
  static MetricsSummary summary(int n, int round) {
    long r = round;
    if (n == SCHEDULERS + RESTARTED && round >= 2) {
      r = round - 2; // started again: counters from nothing
    }
    return MetricsSummary.newBuilder()
        .setTasks(n % 7 + round)
        .setBytesUploaded(r * (1_000_000L + n))
        .setBytesDownloaded(r * (2_000_000L + 3L * n))
        .setPiecesFailed(r * (n % 3))
        .setStatCount(r * 2)
        .setStatMicros(r * (500L + n))
        .setExportCount(r)
        .setExportMicros(r * 9000L)
        .setCacheUsed(1000L * n)
        .setCacheFree(n < SCHEDULERS ? 0 : 5000L)
        .build();
  }

  @Test
  void twoHundredComponentsLatestAndMinutesAddUp() throws Exception {
    // one sample per component per second at most: four rounds in a few seconds
    cluster.setJvmOptions("-Ddfcache.manager.metrics-sample-interval=1s");
    Proc manager = cluster.manager("manager", databaseArgs(),
        Map.of("DFCACHE_MANAGER_ADMIN_PASSWORD", PASSWORD));
    cluster.setJvmOptions();
    ManagerApi api = new ManagerApi(manager.otherPort).signIn("root", PASSWORD);
    long clusterId = ManagerIT.defaultClusterId(api);
    long t0 = System.currentTimeMillis();

    try (Channels channels = new Channels()) {
      ManagedChannel channel = channels.get(HostPort.parse("127.0.0.1:" + manager.grpcPort));
      for (int n = 0; n < SCHEDULERS; n++) {
        ManagerRpc.UPDATE_SCHEDULER.call(channel, UpdateSchedulerRequest.newBuilder()
            .setHostName("scheduler-" + n).setIp("127.0.0.1").setPort(20_000 + n).build(),
            DEADLINE);
      }
      for (int p = 0; p < PEERS; p++) {
        ManagerRpc.LIST_SCHEDULERS.call(channel, ListSchedulersRequest.newBuilder()
            .setSourceType(SourceType.PEER_SOURCE).setHostName("peer-" + p).setIp("127.0.0.1")
            .setHostId("overview-peer-" + p).setRpcPort(30_000 + p).setUploadPort(40_000 + p)
            .build(), DEADLINE);
      }
      for (int round = 0; round < ROUNDS; round++) {
        if (round > 0) {
          // each component's next keep-alive is over the sample interval after its last:
          // every round is stored (this waits for the manager's pacing, it times nothing)
          Thread.sleep(1_200);
        }
        for (int n = 0; n < SCHEDULERS + PEERS; n++) {
          KeepAliveRequest.Builder k = KeepAliveRequest.newBuilder()
              .setSummary(summary(n, round));
          if (n < SCHEDULERS) {
            k.setSourceType(SourceType.SCHEDULER_SOURCE).setIp("127.0.0.1").setPort(20_000 + n);
          } else {
            k.setSourceType(SourceType.PEER_SOURCE).setHostId("overview-peer-" + (n - SCHEDULERS));
          }
          assertTrue(ManagerRpc.KEEP_ALIVE.call(channel, k.build(), DEADLINE).getKnown());
        }
      }
    }

    // the stored rows, for the reference only (800 rows: within the raw endpoint's cap)
    ManagerApi.Reply raw = api.get("/api/v1/clusters/" + clusterId + "/metrics?since=" + t0);
    assertEquals(200, raw.status(), raw.text());
    List<Sample> stored = new ArrayList<>();
    for (JsonNode s : raw.body().get("samples")) {
      stored.add(new Sample(s.get("at").asLong(), s.get("component_kind").asText(),
          s.get("component_id").asLong(), clusterId, s.get("tasks").asLong(),
          s.get("peers").asLong(), s.get("bytes_uploaded").asLong(),
          s.get("bytes_downloaded").asLong(), s.get("pieces_failed").asLong(),
          s.get("cache_used").asLong(), s.get("stat_count").asLong(),
          s.get("stat_micros").asLong(), s.get("export_count").asLong(),
          s.get("export_micros").asLong(), s.get("cache_free").asLong()));
    }
    assertEquals((SCHEDULERS + PEERS) * ROUNDS, stored.size(), "every round stored");

    // the newest sample of every one of the 200, with its rate since the one before
    ManagerApi.Reply latest = api.get("/api/v1/clusters/" + clusterId + "/metrics/latest");
    assertEquals(200, latest.status(), latest.text());
    JsonNode rows = latest.body().get("latest");
    assertEquals(SCHEDULERS + PEERS, rows.size(), "the latest sample of every component");
    Map<String, List<Sample>> byComponent = new HashMap<>();
    for (Sample s : stored) {
      byComponent.computeIfAbsent(s.kind() + "/" + s.componentId(), k -> new ArrayList<>())
          .add(s);
    }
    int schedulers = 0;
    List<Long> lastSent = new ArrayList<>();
    for (JsonNode r : rows) {
      List<Sample> mine = byComponent.get(r.get("component_kind").asText() + "/"
          + r.get("component_id").asLong());
      assertNotNull(mine, r.toString());
      Sample last = mine.get(mine.size() - 1);
      Sample before = mine.get(mine.size() - 2);
      assertEquals(last.at(), r.get("at").asLong());
      assertEquals(last.bytesUploaded(), r.get("bytes_uploaded").asLong());
      assertEquals(last.tasks(), r.get("tasks").asLong());
      assertEquals(last.cacheFree(), r.get("cache_free").asLong());
      double seconds = (last.at() - before.at()) / 1000.0;
      assertEquals((last.bytesUploaded() - before.bytesUploaded()) / seconds,
          r.get("upload_rate").asDouble(), 1e-6);
      assertEquals((last.bytesDownloaded() - before.bytesDownloaded()) / seconds,
          r.get("download_rate").asDouble(), 1e-6);
      schedulers += r.get("component_kind").asText().equals("scheduler") ? 1 : 0;
      lastSent.add(r.get("bytes_uploaded").asLong());
    }
    assertEquals(SCHEDULERS, schedulers);
    // what each of the 200 sent in the last round, and nothing older
    List<Long> sent = new ArrayList<>();
    for (int n = 0; n < SCHEDULERS + PEERS; n++) {
      sent.add(summary(n, ROUNDS - 1).getBytesUploaded());
    }
    Collections.sort(sent);
    Collections.sort(lastSent);
    assertEquals(sent, lastSent);

    // the cluster per minute: as the rules say, and adding up to the counters' growth
    ManagerApi.Reply minutes = api.get("/api/v1/clusters/" + clusterId + "/metrics/minutes");
    assertEquals(200, minutes.status(), minutes.text());
    long since = minutes.body().get("since").asLong();
    long until = minutes.body().get("until").asLong();
    Map<Long, MinuteReference.Expected> expected =
        MinuteReference.minutes(stored, clusterId, since, until);
    long uploaded = 0;
    long failed = 0;
    List<Long> seen = new ArrayList<>();
    for (JsonNode m : minutes.body().get("minutes")) {
      long minute = m.get("minute").asLong();
      seen.add(minute);
      MinuteReference.Expected e = expected.get(minute);
      assertNotNull(e, "minute " + minute);
      assertEquals(e.schedulers, m.get("schedulers").asLong());
      assertEquals(e.peers, m.get("peers").asLong());
      assertEquals(e.tasks, m.get("tasks").asLong());
      assertEquals(e.counters[0], m.get("bytes_uploaded").asLong());
      assertEquals(e.counters[1], m.get("bytes_downloaded").asLong());
      assertEquals(e.counters[2], m.get("pieces_failed").asLong());
      assertEquals(e.counters[3], m.get("stat_count").asLong());
      assertEquals(e.counters[4], m.get("stat_micros").asLong());
      assertEquals(e.counters[5], m.get("export_count").asLong());
      assertEquals(e.counters[6], m.get("export_micros").asLong());
      assertEquals(e.upRate, m.get("upload_rate").asDouble(), 1e-6 * Math.max(1, e.upRate));
      assertEquals(e.downRate, m.get("download_rate").asDouble(),
          1e-6 * Math.max(1, e.downRate));
      uploaded += m.get("bytes_uploaded").asLong();
      failed += m.get("pieces_failed").asLong();
    }
    assertEquals(new ArrayList<>(expected.keySet()), seen);
    // what the 200 sent grew by, the restarted peer's interval across its restart left out
    long wantUploaded = 0;
    long wantFailed = 0;
    for (int n = 0; n < SCHEDULERS + PEERS; n++) {
      for (int round = 1; round < ROUNDS; round++) {
        long up = summary(n, round).getBytesUploaded() - summary(n, round - 1).getBytesUploaded();
        if (up >= 0) { // else the restart, between rounds 1 and 2 of one peer
          wantUploaded += up;
          wantFailed += summary(n, round).getPiecesFailed()
              - summary(n, round - 1).getPiecesFailed();
        }
      }
    }
    assertEquals(wantUploaded, uploaded, "the minutes add up to what the components sent");
    assertEquals(wantFailed, failed);

    badQueriesAreRefused(api, manager, clusterId);
  }

  void badQueriesAreRefused(ManagerApi api, Proc manager, long clusterId) throws Exception {
    String base = "/api/v1/clusters/" + clusterId + "/metrics/";
    long now = System.currentTimeMillis();
    assertStatus(400, api.get(base + "minutes?since=yesterday"), "must be a whole number");
    assertStatus(400, api.get(base + "minutes?since=" + now + "&until=" + (now - 60_000)),
        "until must be after since");
    assertStatus(400, api.get(base + "minutes?since=" + (now - 25 * 3_600_000L)),
        "at most 24 hours");
    assertStatus(400, api.get(base + "latest?since=0"), "within the last 24 hours");
    assertStatus(400, api.get(base + "latest?since=-5"), "whole number");
    assertStatus(404, api.get("/api/v1/clusters/999999/metrics/latest"), "999999");
    assertStatus(404, api.get("/api/v1/clusters/999999/metrics/minutes"), "999999");
    assertStatus(400, api.get("/api/v1/clusters/x/metrics/minutes"), "bad id");
    assertStatus(405, api.call("POST", base + "latest", "{}"), "not allowed");
    assertStatus(401, new ManagerApi(manager.otherPort).get(base + "latest"), "");
    assertStatus(401, new ManagerApi(manager.otherPort).get(base + "minutes"), "");
  }

  static void assertStatus(int status, ManagerApi.Reply r, String text) {
    assertEquals(status, r.status(), r.text());
    assertTrue(r.text().contains(text), r.text());
  }
}
