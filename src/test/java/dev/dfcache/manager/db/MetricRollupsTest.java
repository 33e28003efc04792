package dev.dfcache.manager.db;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dfcache.manager.db.MetricRepository.Sample;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The overview's figures as the database computes them, on H2 ({@link MetricRollupsPostgresTest}
 * runs the same on a real PostgreSQL server): a small case worked by hand, then 200 components
 * sampled every 15 s for 12 minutes, checked against the same rules applied here in Java to the
 * rows inserted.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MetricRollupsTest {
  /** A whole minute, in the past: every case names its own times. */
  static final long T0 = 1_700_000_040_000L;
  static final long MIN = MetricRollups.MINUTE_MS;

  Database db;

  @BeforeAll
  void open(@TempDir Path dir) throws Exception {
    db = openDatabase(dir);
  }

  Database openDatabase(Path dir) throws Exception {
    return Database.open(Database.embeddedUrl(dir), "", "", 2);
  }

  @AfterAll
  void close() throws Exception {
    if (db != null) {
      db.close();
    }
  }

  static Sample sample(long cluster, String kind, long id, long at, long tasks, long up,
      long down, long failed, long statCount, long statMicros) {
    return new Sample(at, kind, id, cluster, tasks, 0, up, down, failed, 1000 + id, statCount,
        statMicros, statCount / 2, statMicros / 2, kind.equals("peer") ? 5000 : -1);
  }

  void insert(List<Sample> samples) {
    db.now(c -> {
      c.setAutoCommit(false);
      for (Sample s : samples) {
        MetricRepository.add(c, s);
      }
      c.commit();
      c.setAutoCommit(true);
      return null;
    });
  }

  @Test
  void aSmallCaseByHand() {
    long cluster = 11;
    insert(List.of(
        // peer 1: before the range (starts the first interval), two intervals, a restart, one more
        sample(cluster, "peer", 1, T0 - 5_000, 3, 0, 0, 0, 0, 0),
        sample(cluster, "peer", 1, T0 + 10_000, 4, 1500, 30, 1, 2, 400),
        sample(cluster, "peer", 1, T0 + 25_000, 2, 3000, 60, 1, 4, 1000),
        sample(cluster, "peer", 1, T0 + 70_000, 1, 100, 0, 0, 0, 0),
        sample(cluster, "peer", 1, T0 + 85_000, 1, 400, 15, 2, 1, 50),
        // a scheduler: one sample in each minute, its own counters
        sample(cluster, "scheduler", 1, T0 + 30_000, 7, 0, 0, 0, 0, 0),
        sample(cluster, "scheduler", 1, T0 + 90_000, 9, 0, 0, 0, 0, 0),
        // another cluster's peer: never counted here
        sample(12, "peer", 1, T0 + 20_000, 99, 999_999, 999_999, 9, 9, 9)));

    List<MetricRollups.Minute> minutes = db.now(c ->
        MetricRollups.minutes(c, cluster, T0 + 1, T0 + 2 * MIN));
    assertEquals(2, minutes.size(), minutes.toString());
    MetricRollups.Minute first = minutes.get(0);
    assertEquals(T0, first.minute(), "since is taken from the start of its minute");
    assertEquals(1, first.peers());
    assertEquals(1, first.schedulers());
    assertEquals(4, first.tasks(), "the peer's highest of the minute; schedulers' not added");
    assertEquals(3000, first.bytesUploaded());
    assertEquals(60, first.bytesDownloaded());
    assertEquals(100.0, first.uploadRate(), 1e-9, "3000 bytes over the 30 s its intervals cover");
    assertEquals(2.0, first.downloadRate(), 1e-9);
    assertEquals(1, first.piecesFailed());
    assertEquals(4, first.statCount());
    assertEquals(1000, first.statMicros());
    assertEquals(2, first.exportCount());
    assertEquals(500, first.exportMicros());
    MetricRollups.Minute second = minutes.get(1);
    assertEquals(T0 + MIN, second.minute());
    assertEquals(300, second.bytesUploaded(), "the restart's interval counts for nothing");
    assertEquals(20.0, second.uploadRate(), 1e-9, "300 bytes over 15 s");
    assertEquals(2, second.piecesFailed());
    assertEquals(1, second.statCount());

    // until is exclusive: the minute of T0 + 60 s, up to its 80th second, has only the restart
    List<MetricRollups.Minute> upTo = db.now(c ->
        MetricRollups.minutes(c, cluster, T0 + MIN, T0 + 80_000));
    assertEquals(1, upTo.size());
    assertEquals(0, upTo.get(0).bytesUploaded());
    assertEquals(0.0, upTo.get(0).uploadRate());

    List<MetricRollups.Latest> latest = db.now(c ->
        MetricRollups.latest(c, cluster, T0, T0 + 2 * MIN));
    assertEquals(2, latest.size());
    MetricRollups.Latest peer = latest.get(0);
    assertEquals("peer", peer.sample().kind());
    assertEquals(T0 + 85_000, peer.sample().at());
    assertEquals(400, peer.sample().bytesUploaded());
    assertEquals(20.0, peer.uploadRate(), 1e-9);
    assertEquals(1.0, peer.downloadRate(), 1e-9);
    MetricRollups.Latest scheduler = latest.get(1);
    assertEquals("scheduler", scheduler.sample().kind());
    assertEquals(9, scheduler.sample().tasks());
    assertEquals(0.0, scheduler.uploadRate());
    // only the samples in the range count: from T0 + 80 s the peer has one, so no rate
    List<MetricRollups.Latest> late = db.now(c ->
        MetricRollups.latest(c, cluster, T0 + 80_000, T0 + 2 * MIN));
    assertEquals(T0 + 85_000, late.get(0).sample().at());
    assertNull(late.get(0).uploadRate());
    // a restart between the last two samples: no rate
    List<MetricRollups.Latest> restarted = db.now(c ->
        MetricRollups.latest(c, cluster, T0, T0 + 75_000));
    assertEquals(T0 + 70_000, restarted.get(0).sample().at());
    assertNull(restarted.get(0).uploadRate());
    assertNull(restarted.get(0).downloadRate());
  }

  @Test
  void twoHundredComponentsAddUp() {
    long cluster = 21;
    Random random = new Random(26);
    List<Sample> samples = new ArrayList<>();
    for (int n = 0; n < 200; n++) {
      String kind = n < 10 ? "scheduler" : "peer";
      long id = 1000 + n;
      long phase = (n * 73L) % 15_000;
      long up = 0;
      long down = 0;
      long failed = 0;
      long statCount = 0;
      long statMicros = 0;
      for (long at = T0 - 2 * MIN + phase; at < T0 + 10 * MIN; at += 15_000) {
        if (n == 7 && at > T0 + 3 * MIN && at < T0 + 6 * MIN) {
          continue; // silent for three minutes: one long interval
        }
        if (n == 42 && at > T0 + 5 * MIN && at < T0 + 5 * MIN + 15_000) {
          up = down = failed = statCount = statMicros = 0; // restarted
        }
        up += random.nextInt(5_000_000);
        down += random.nextInt(5_000_000);
        failed += random.nextInt(3) == 0 ? 1 : 0;
        int calls = random.nextInt(4);
        statCount += calls;
        statMicros += calls * (long) random.nextInt(900);
        samples.add(sample(cluster, kind, id, at, random.nextInt(50), up, down, failed,
            statCount, statMicros));
      }
      if (n == 99) { // two samples at one time: the one stored last is the latest
        Sample last = samples.get(samples.size() - 1);
        samples.add(sample(cluster, kind, id, last.at(), 77, up + 10, down, failed, statCount,
            statMicros));
      }
    }
    // another cluster's samples at the same times
    samples.add(sample(22, "peer", 1000, T0 + 5 * MIN, 1, 1, 1, 1, 1, 1));
    insert(samples);

    long since = T0 - MIN / 2;
    long until = T0 + 9 * MIN + 30_000;
    Map<Long, MinuteReference.Expected> expected =
        MinuteReference.minutes(samples, cluster, since, until);
    List<MetricRollups.Minute> minutes = db.now(c ->
        MetricRollups.minutes(c, cluster, since, until));
    assertEquals(new ArrayList<>(expected.keySet()),
        minutes.stream().map(MetricRollups.Minute::minute).toList());
    long totalUp = 0;
    for (MetricRollups.Minute m : minutes) {
      MinuteReference.Expected e = expected.get(m.minute());
      String at = "minute " + (m.minute() - T0) / MIN;
      assertEquals(e.schedulers, m.schedulers(), at);
      assertEquals(e.peers, m.peers(), at);
      assertEquals(e.tasks, m.tasks(), at);
      assertEquals(e.counters[0], m.bytesUploaded(), at);
      assertEquals(e.counters[1], m.bytesDownloaded(), at);
      assertEquals(e.counters[2], m.piecesFailed(), at);
      assertEquals(e.counters[3], m.statCount(), at);
      assertEquals(e.counters[4], m.statMicros(), at);
      assertEquals(e.counters[5], m.exportCount(), at);
      assertEquals(e.counters[6], m.exportMicros(), at);
      assertEquals(e.upRate, m.uploadRate(), 1e-6 * Math.max(1, e.upRate), at);
      assertEquals(e.downRate, m.downloadRate(), 1e-6 * Math.max(1, e.downRate), at);
      totalUp += m.bytesUploaded();
    }
    MetricRollups.Minute whole = minutes.get(8); // T0 + 7 min: none silent, none restarting
    assertEquals(T0 + 7 * MIN, whole.minute());
    assertEquals(190, whole.peers(), "every component reports in a whole minute");
    assertEquals(10, whole.schedulers());
    assertTrue(totalUp > 0);

    long end = T0 + 10 * MIN; // after every sample (the tie of component 1099 is the last)
    List<MetricRollups.Latest> latest = db.now(c ->
        MetricRollups.latest(c, cluster, since, end));
    Map<String, Sample> newest = new LinkedHashMap<>();
    for (Sample s : samples) {
      if (s.clusterId() == cluster && s.at() >= since && s.at() <= end) {
        newest.merge(s.kind() + "/" + s.componentId(), s, (a, b) -> b.at() >= a.at() ? b : a);
      }
    }
    assertEquals(200, latest.size(), "the latest sample of every one of the 200");
    for (MetricRollups.Latest l : latest) {
      Sample want = newest.get(l.sample().kind() + "/" + l.sample().componentId());
      assertEquals(want, l.sample());
      if (l.sample().componentId() == 1099) {
        assertEquals(77, l.sample().tasks());
        assertNull(l.uploadRate(), "no time between the two samples: no rate");
      } else {
        assertTrue(l.uploadRate() != null && l.uploadRate() >= 0, l.toString());
      }
    }
  }
}
