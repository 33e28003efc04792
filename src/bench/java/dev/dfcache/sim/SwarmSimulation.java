package dev.dfcache.sim;

import dev.dfcache.daemon.PiecePicker;
import dev.dfcache.scheduler.ParentEvaluator;
import dev.dfcache.transfer.UploadSlots;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Random;
import java.util.Set;

/**
 * A discrete-event simulation of one swarm, driving the real policies with a simulated clock:
 * the scheduler's {@link ParentEvaluator} picks each downloader's parents, each downloader's
 * {@link PiecePicker} decides which piece to ask which parent for, and each host's
 * {@link UploadSlots} decides which uploads it takes on. What is modelled (see {@link
 * SwarmModel}): capped uploads shared fairly among the uploads in progress, a one-way latency per
 * message, refusals (503) and endgame cancels. What is not: TCP slow start, CPU, disks, failures,
 * the scheduler's own latency (a downloader's parents are fresh when it asks for them).
 *
 * <p>One thread, one event queue: each event runs at its time and may schedule others; the
 * simulation is deterministic for a model (its seed drives every random choice).
 */
public final class SwarmSimulation {
  private static final String TASK = "sim";

  private final SwarmModel m;
  private final PriorityQueue<Event> queue = new PriorityQueue<>();
  private final Random random;
  private final double bytesPerNano;
  private final long latencyNanos;
  private final long refreshNanos;
  private final List<Host> hosts = new ArrayList<>();
  private final Map<String, Host> byId = new HashMap<>();
  private long now;
  private long seq;
  private long events;
  private int completed;

  private record Event(long time, long seq, Runnable action) implements Comparable<Event> {
    @Override
    public int compareTo(Event o) {
      return time != o.time ? Long.compare(time, o.time) : Long.compare(seq, o.seq);
    }
  }

  /** A piece request from a child to a parent: cancelled when the piece came from elsewhere. */
  private static final class Request {
    final Host child;
    final Host parent;
    final int piece;
    boolean cancelled;
    Upload upload;

    Request(Host child, Host parent, int piece) {
      this.child = child;
      this.parent = parent;
      this.piece = piece;
    }
  }

  private static final class Upload {
    final Request request;
    final long startedAt;
    double remaining;

    Upload(Request request, long startedAt, double remaining) {
      this.request = request;
      this.startedAt = startedAt;
      this.remaining = remaining;
    }
  }

  private final class Host {
    final String id;
    final BitSet have = new BitSet();
    final PiecePicker picker;
    final UploadSlots slots;
    final List<Upload> uploads = new ArrayList<>();
    final Set<Host> parents = new LinkedHashSet<>();
    final Set<Host> children = new LinkedHashSet<>();
    final Map<Long, Request> requests = new HashMap<>();
    long lastAdvance;
    long version;
    double bytesSent;
    long doneAt = -1;
    boolean refreshPending;
    long lastRefresh = Long.MIN_VALUE / 2;

    Host(String id, boolean seed) {
      this.id = id;
      this.slots = new UploadSlots(m.maxConcurrentUploads(), m.maxUploadsPerTask(),
          SwarmSimulation.this::now);
      if (seed) {
        have.set(0, m.pieces());
        picker = null;
        doneAt = 0;
      } else {
        picker = new PiecePicker(m.pieces(), m.requestsPerParent(), m.randomFirst(),
            new Random(random.nextLong()), SwarmSimulation.this::now);
      }
    }

    boolean done() {
      return doneAt >= 0;
    }
  }

  public SwarmSimulation(SwarmModel model) {
    this.m = model;
    this.random = new Random(model.seed());
    this.bytesPerNano = model.uploadBytesPerSecond() / 1e9;
    this.latencyNanos = (long) (model.latencyMs() * 1e6);
    this.refreshNanos = (long) (model.parentRefreshMs() * 1e6);
  }

  long now() {
    return now;
  }

  private void at(long time, Runnable action) {
    queue.add(new Event(time, seq++, action));
  }

  /** Runs the swarm until every downloader holds the task (or a time limit: 50 S/B). */
  public SwarmResult run() {
    long wallStart = System.nanoTime();
    Host seed = new Host("seed", true);
    hosts.add(seed);
    byId.put(seed.id, seed);
    List<Host> downloaders = new ArrayList<>();
    for (int i = 0; i < m.downloaders(); i++) {
      Host h = new Host("peer-" + i, false);
      hosts.add(h);
      byId.put(h.id, h);
      downloaders.add(h);
    }
    for (Host h : downloaders) {
      at(0, () -> {
        refreshParents(h);
        pump(h);
      });
    }
    long limit = (long) (50 * m.sOverB() * 1e9);
    int done = 0;
    while (!queue.isEmpty() && done < downloaders.size()) {
      Event e = queue.poll();
      if (e.time() > limit) {
        break;
      }
      now = e.time();
      e.action().run();
      events++;
      done = completed;
    }
    double[] completion = downloaders.stream()
        .mapToDouble(h -> h.done() ? h.doneAt / 1e9 / m.sOverB() : Double.POSITIVE_INFINITY)
        .sorted().toArray();
    advance(seed);
    double taskBytes = m.pieces() * (double) m.pieceBytes();
    return new SwarmResult(m, completion, seed.bytesSent / taskBytes, events,
        (System.nanoTime() - wallStart) / 1_000_000);
  }

  // ------------------------------------------------------------------ the scheduler

  /** The scheduler's answer to a downloader: its best parents now, added to those it has. */
  private void refreshParents(Host child) {
    child.lastRefresh = now;
    int missing = m.pieces() - child.have.cardinality();
    List<ParentEvaluator.Candidate> candidates = new ArrayList<>();
    for (Host h : hosts) {
      if (h == child || h.have.isEmpty()) {
        continue;
      }
      BitSet useful = (BitSet) h.have.clone();
      useful.andNot(child.have);
      candidates.add(new ParentEvaluator.Candidate(h.id, h.done(), useful.cardinality(),
          m.maxConcurrentUploads() - h.slots.active(), m.maxConcurrentUploads(), false, false,
          -1, 0));
    }
    for (ParentEvaluator.Candidate c : ParentEvaluator.choose(child.id, missing, candidates,
        m.parentLimit())) {
      Host parent = byId.get(c.peerId());
      if (child.parents.add(parent)) {
        parent.children.add(child);
        child.picker.parentHas(parent.id, (BitSet) parent.have.clone());
      }
    }
  }

  // ------------------------------------------------------------------ a downloader

  /** Asks for every piece the picker assigns now; with nothing to ask, wants new parents. */
  private void pump(Host child) {
    if (child.picker.complete()) {
      return;
    }
    for (PiecePicker.Assignment a; (a = child.picker.next()) != null; ) {
      Request r = new Request(child, byId.get(a.parent()), a.piece());
      child.requests.put(key(a.piece(), r.parent), r);
      at(now + latencyNanos, () -> arrive(r));
    }
    if (child.requests.isEmpty() && !child.refreshPending) {
      child.refreshPending = true;
      at(Math.max(now, child.lastRefresh + refreshNanos), () -> {
        child.refreshPending = false;
        refreshParents(child);
        pump(child);
      });
    }
  }

  private static long key(int piece, Host parent) {
    return ((long) piece << 32) ^ parent.id.hashCode();
  }

  private void deliver(Request r) {
    Host child = r.child;
    child.requests.remove(key(r.piece, r.parent));
    if (r.cancelled || child.have.get(r.piece)) {
      return;
    }
    child.have.set(r.piece);
    for (String loser : child.picker.succeeded(r.piece, r.parent.id)) {
      Request other = child.requests.remove(key(r.piece, byId.get(loser)));
      if (other != null) {
        cancel(other);
      }
    }
    if (child.picker.complete()) {
      child.doneAt = now;
      completed++;
    }
    BitSet one = new BitSet();
    one.set(r.piece);
    for (Host grandchild : child.children) {
      if (!grandchild.done()) {
        grandchild.picker.parentHas(child.id, one);
        pump(grandchild);
      }
    }
    pump(child);
  }

  private void refused(Request r) {
    Host child = r.child;
    child.requests.remove(key(r.piece, r.parent));
    if (!r.cancelled) {
      child.picker.refused(r.piece, r.parent.id);
      pump(child);
    }
  }

  // ------------------------------------------------------------------ a parent's upload

  private void arrive(Request r) {
    if (r.cancelled) {
      return;
    }
    Host parent = r.parent;
    if (parent.slots.tryAcquire(TASK, r.piece, r.child.id, parent.done()) != null) {
      at(now + latencyNanos, () -> refused(r));
      return;
    }
    advance(parent);
    r.upload = new Upload(r, now, m.pieceBytes());
    parent.uploads.add(r.upload);
    reschedule(parent);
  }

  private void cancel(Request r) {
    r.cancelled = true;
    Upload u = r.upload;
    if (u != null && r.parent.uploads.contains(u)) {
      advance(r.parent);
      r.parent.uploads.remove(u);
      r.parent.slots.release(TASK, r.piece, r.child.id);
      reschedule(r.parent);
    }
  }

  /** Brings every upload of the host to now: each got an equal share of the link. */
  private void advance(Host h) {
    long elapsed = now - h.lastAdvance;
    h.lastAdvance = now;
    if (h.uploads.isEmpty() || elapsed <= 0) {
      return;
    }
    double each = elapsed * bytesPerNano / h.uploads.size();
    for (Upload u : h.uploads) {
      double sent = Math.min(each, u.remaining);
      u.remaining -= sent;
      h.bytesSent += sent;
    }
  }

  /** The next upload of the host to finish, at the share each has now. */
  private void reschedule(Host h) {
    long version = ++h.version;
    if (h.uploads.isEmpty()) {
      return;
    }
    Upload first = h.uploads.get(0);
    for (Upload u : h.uploads) {
      if (u.remaining < first.remaining) {
        first = u;
      }
    }
    double rate = bytesPerNano / h.uploads.size();
    Upload next = first;
    at(now + (long) Math.ceil(next.remaining / rate), () -> {
      if (h.version == version) {
        finish(h, next);
      }
    });
  }

  private void finish(Host h, Upload u) {
    advance(h);
    h.uploads.remove(u);
    Request r = u.request;
    h.slots.release(TASK, r.piece, r.child.id, h.done() ? now - u.startedAt : -1);
    reschedule(h);
    at(now + latencyNanos, () -> deliver(r));
  }

  /** What one run gives: each downloader's completion over S/B, sorted, and the seed's bytes. */
  public record SwarmResult(SwarmModel model, double[] completionOverSb, double seedBytesOverS,
      long events, long wallMs) {
    public double quantile(double q) {
      int i = (int) Math.ceil(q * completionOverSb.length) - 1;
      return completionOverSb[Math.max(0, Math.min(completionOverSb.length - 1, i))];
    }

    /** The bound with M pieces: about (S/B)(1 + log2(N)/M). */
    public double bound() {
      return 1 + Math.log(model.downloaders()) / Math.log(2) / model.pieces();
    }

    @Override
    public String toString() {
      return String.format("N=%d M=%d: p50 %.3f p99 %.3f max %.3f S/B (bound %.3f), seed "
              + "%.2f S, %d events, %d ms", model.downloaders(), model.pieces(), quantile(0.5),
          quantile(0.99), completionOverSb[completionOverSb.length - 1], bound(),
          seedBytesOverS, events, wallMs);
    }
  }

  /** bin/bench --only swarm-sim, or java -cp ... dev.dfcache.sim.SwarmSimulation N M. */
  public static void main(String[] args) {
    int[] ns = args.length > 0 ? Arrays.stream(args[0].split(",")).mapToInt(Integer::parseInt)
        .toArray() : new int[] {10, 100, 1000};
    int pieces = args.length > 1 ? Integer.parseInt(args[1]) : 256;
    for (int n : ns) {
      System.out.println(new SwarmSimulation(SwarmModel.defaults(n, pieces)).run());
    }
  }
}
