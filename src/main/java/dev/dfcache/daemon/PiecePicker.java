package dev.dfcache.daemon;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Which piece to ask which parent for next, in one download. Not thread-safe: the download calls
 * it under its own lock.
 *
 * <ul>
 *   <li><b>Rarest first</b> among the pieces the parents hold: the piece the fewest parents hold,
 *       ties broken at random, so that downloaders that start together fetch different pieces
 *       from the seed and then trade them, instead of all pulling the same pieces from it. The
 *       first few picks are random among all assignable pieces ("random first"), which spreads
 *       downloaders that see the same availability at once.
 *   <li><b>At most {@code perParentLimit} requests in flight per parent</b> (Kraken: 3 per peer):
 *       a seed's upload is split over few requests, each finishes early and becomes a piece its
 *       downloader can pass on. A parent that refuses a request (503) is asked for fewer at once,
 *       one more again with each piece it delivers, and not for the refused piece for a second.
 *   <li><b>Endgame</b>: once every missing piece is requested and only the last few are missing
 *       ({@link #endgamePieces()}), a parent with a free slot is also asked for a piece in flight
 *       elsewhere (at most two requests per piece); the first to arrive wins and the caller
 *       cancels the other, so a slow last piece never waits out its timeout.
 * </ul>
 *
 * <p>Public for the swarm simulation (src/bench/java, dev.dfcache.sim), which drives this very
 * policy with a simulated clock.
 */
public final class PiecePicker {

  public record Assignment(int piece, String parent) {}

  private static final class Parent {
    final BitSet pieces = new BitSet();
    int inflight;
    /** Requests it takes at once, as learnt: down when it refuses one, up with each success. */
    int limit;
    /** Missing pieces only this parent holds (set by next()): at first the seed's all. */
    int soleCount;
    /** Piece -> until when (clock nanos) this parent is not asked for it: it refused it. */
    final Map<Integer, Long> refusedUntil = new HashMap<>(4);
    /** Not asked for anything until then (clock nanos): it just refused a request. */
    long restUntil;

    Parent(int limit) {
      this.limit = limit;
    }
  }

  /** How long a parent's "busy" for one piece keeps that piece from being asked of it again. */
  static final long REFUSAL_NANOS = 1_000_000_000L;
  /** How long a parent that refused a request is not asked for any piece. */
  static final long REST_NANOS = 100_000_000L;

  private static final int MAX_REQUESTS_PER_PIECE = 2;

  private final int pieceCount;
  private final int perParentLimit;
  private final int randomFirst;
  private final Random random;
  private final BitSet have = new BitSet();
  /** Pieces with at least one request in flight. */
  private final BitSet requested = new BitSet();
  /** How many known parents hold each piece. */
  private final int[] availability;
  private final Map<String, Parent> parents = new LinkedHashMap<>();
  /** Piece -> the parents it was asked of and has not arrived from yet. */
  private final Map<Integer, List<String>> inflight = new HashMap<>();
  private final java.util.function.LongSupplier clock;
  private int picks;

  PiecePicker(int pieceCount, int perParentLimit, int randomFirst, Random random) {
    this(pieceCount, perParentLimit, randomFirst, random, System::nanoTime);
  }

  public PiecePicker(int pieceCount, int perParentLimit, int randomFirst, Random random,
      java.util.function.LongSupplier clock) {
    this.pieceCount = pieceCount;
    this.perParentLimit = Math.max(1, perParentLimit);
    this.randomFirst = randomFirst;
    this.random = random;
    this.availability = new int[pieceCount];
    this.clock = clock;
  }

  /** The parent holds these pieces (in addition to what it was known to hold). */
  public void parentHas(String parentId, BitSet pieces) {
    Parent p = parents.computeIfAbsent(parentId, k -> new Parent(perParentLimit));
    BitSet added = (BitSet) pieces.clone();
    added.andNot(p.pieces);
    added.clear(pieceCount, Math.max(pieceCount, added.length()));
    for (int i = added.nextSetBit(0); i >= 0; i = added.nextSetBit(i + 1)) {
      availability[i]++;
    }
    p.pieces.or(added);
  }

  public void parentHasAll(String parentId) {
    BitSet all = new BitSet(pieceCount);
    all.set(0, pieceCount);
    parentHas(parentId, all);
  }

  /**
   * Forgets a parent (failed, gone). Returns the pieces that were in flight to it: the caller
   * cancels those requests; the pieces are assignable again.
   */
  public List<Integer> removeParent(String parentId) {
    Parent p = parents.remove(parentId);
    if (p == null) {
      return List.of();
    }
    for (int i = p.pieces.nextSetBit(0); i >= 0; i = p.pieces.nextSetBit(i + 1)) {
      availability[i]--;
    }
    List<Integer> lost = new ArrayList<>();
    for (var e : new ArrayList<>(inflight.entrySet())) {
      if (e.getValue().remove(parentId)) {
        lost.add(e.getKey());
        if (e.getValue().isEmpty()) {
          inflight.remove(e.getKey());
          requested.clear(e.getKey());
        }
      }
    }
    return lost;
  }

  /** The next request to make, or null when none can be made now. Records it as in flight. */
  public Assignment next() {
    if (complete()) {
      return null;
    }
    BitSet open = missing();
    countSoleSources(open);
    open.andNot(requested);
    Assignment a = !open.isEmpty() ? (picks < randomFirst ? randomPick(open) : rarestPick(open))
        : missingCount() <= endgamePieces() ? endgame() : null;
    if (a != null) {
      picks++;
      parents.get(a.parent()).inflight++;
      requested.set(a.piece());
      inflight.computeIfAbsent(a.piece(), k -> new ArrayList<>(MAX_REQUESTS_PER_PIECE))
          .add(a.parent());
    }
    return a;
  }

  private Assignment rarestPick(BitSet open) {
    int best = Integer.MAX_VALUE;
    int ties = 0;
    Assignment chosen = null;
    for (int i = open.nextSetBit(0); i >= 0; i = open.nextSetBit(i + 1)) {
      int count = availability[i];
      if (count == 0 || count > best) {
        continue;
      }
      String holder = freeHolder(i, List.of());
      if (holder == null) {
        continue;
      }
      if (count < best) {
        best = count;
        ties = 0;
      }
      ties++;
      if (random.nextInt(ties) == 0) { // reservoir sampling: each tie equally likely
        chosen = new Assignment(i, holder);
      }
    }
    return chosen;
  }

  private Assignment randomPick(BitSet open) {
    int seen = 0;
    Assignment chosen = null;
    for (int i = open.nextSetBit(0); i >= 0; i = open.nextSetBit(i + 1)) {
      if (availability[i] == 0) {
        continue;
      }
      String holder = freeHolder(i, List.of());
      if (holder != null && random.nextInt(++seen) == 0) {
        chosen = new Assignment(i, holder);
      }
    }
    return chosen;
  }

  /**
   * How few pieces may be missing for the endgame to start: the last few only. "Every missing
   * piece requested" alone comes early when a download has many parents, and then every piece
   * would be fetched twice over a link that has no bytes to spare.
   */
  int endgamePieces() {
    return Math.max(1, Math.min(4, pieceCount / 16));
  }

  private Assignment endgame() {
    List<Integer> pieces = new ArrayList<>(inflight.keySet());
    pieces.sort(null); // a stable order to start from, then a random one
    java.util.Collections.shuffle(pieces, random);
    for (int piece : pieces) {
      List<String> askedOf = inflight.get(piece);
      if (askedOf.size() >= MAX_REQUESTS_PER_PIECE) {
        continue;
      }
      String holder = freeHolder(piece, askedOf);
      if (holder != null) {
        return new Assignment(piece, holder);
      }
    }
    return null;
  }

  /** Counts, for each parent, the missing pieces no other parent holds. */
  private void countSoleSources(BitSet missing) {
    for (Parent p : parents.values()) {
      p.soleCount = 0;
    }
    for (int i = missing.nextSetBit(0); i >= 0; i = missing.nextSetBit(i + 1)) {
      if (availability[i] == 1) {
        for (Parent p : parents.values()) {
          if (p.pieces.get(i)) {
            p.soleCount++;
            break;
          }
        }
      }
    }
  }

  /**
   * The parent to ask for a piece, or null to wait. Among the piece's holders, those whose
   * upload is least needed elsewhere (the fewest missing pieces only they hold) are asked, the
   * least busy first, ties at random; when all of those are busy, resting or just refused this
   * piece, the request waits for them rather than go to a holder others depend on. So the seed,
   * the only source of every piece nobody has yet, is asked only for those, and its upload sends
   * each piece about once: a piece a downloader holds comes from downloaders, even while they
   * too are the only source of something (which every downloader is, early on).
   */
  private String freeHolder(int piece, List<String> except) {
    int fewest = Integer.MAX_VALUE;
    for (var e : parents.entrySet()) {
      Parent p = e.getValue();
      if (p.pieces.get(piece) && !except.contains(e.getKey())) {
        fewest = Math.min(fewest, p.soleCount);
      }
    }
    String best = null;
    int bestLoad = Integer.MAX_VALUE;
    int ties = 0;
    for (var e : parents.entrySet()) {
      Parent p = e.getValue();
      if (!p.pieces.get(piece) || p.soleCount != fewest || p.inflight >= p.limit
          || resting(p) || refusedNow(piece, p) || except.contains(e.getKey())) {
        continue;
      }
      if (p.inflight < bestLoad) {
        bestLoad = p.inflight;
        best = e.getKey();
        ties = 1;
      } else if (p.inflight == bestLoad && random.nextInt(++ties) == 0) {
        best = e.getKey();
      }
    }
    return best;
  }

  /**
   * The piece arrived (verified) from this parent. Returns the other parents it is still in
   * flight to (endgame duplicates): the caller cancels those requests.
   */
  public List<String> succeeded(int piece, String parentId) {
    have.set(piece);
    requested.clear(piece);
    List<String> askedOf = inflight.remove(piece);
    if (askedOf == null) {
      return List.of();
    }
    Parent winner = parents.get(parentId);
    if (winner != null) {
      winner.limit = Math.min(perParentLimit, winner.limit + 1);
    }
    List<String> losers = new ArrayList<>();
    for (String id : askedOf) {
      Parent p = parents.get(id);
      if (p != null) {
        p.inflight--;
      }
      if (!id.equals(parentId)) {
        losers.add(id);
      }
    }
    return losers;
  }

  /** The request failed or was cancelled: the piece may be asked of someone again. */
  public void released(int piece, String parentId) {
    List<String> askedOf = inflight.get(piece);
    if (askedOf == null || !askedOf.remove(parentId)) {
      return; // already settled (it arrived from another parent, or the parent was removed)
    }
    Parent p = parents.get(parentId);
    if (p != null) {
      p.inflight--;
    }
    if (askedOf.isEmpty()) {
      inflight.remove(piece);
      requested.clear(piece);
    }
  }

  /**
   * The parent refused the request (503: at its upload limit, or busy with this very piece for
   * another peer). The piece may go to another parent at once; this one is asked for fewer
   * pieces at once from now on, for nothing for {@link #REST_NANOS}, and not for this piece for
   * {@link #REFUSAL_NANOS}: the peer it is uploading that piece to will have it soon.
   */
  public void refused(int piece, String parentId) {
    released(piece, parentId);
    Parent p = parents.get(parentId);
    long now = clock.getAsLong();
    if (p != null) {
      p.limit = Math.max(1, p.inflight);
      p.restUntil = now + REST_NANOS;
      if (p.refusedUntil.size() > 16) {
        p.refusedUntil.values().removeIf(until -> until - now <= 0);
      }
      p.refusedUntil.put(piece, now + REFUSAL_NANOS);
    }
  }

  private boolean resting(Parent p) {
    return p.restUntil != 0 && p.restUntil - clock.getAsLong() > 0;
  }

  private boolean refusedNow(int piece, Parent p) {
    if (p.refusedUntil.isEmpty()) {
      return false;
    }
    Long until = p.refusedUntil.get(piece);
    return until != null && until - clock.getAsLong() > 0;
  }

  public boolean complete() {
    return have.cardinality() == pieceCount;
  }

  public int missingCount() {
    return pieceCount - have.cardinality();
  }

  /** Some known parent holds a piece this download still lacks. */
  boolean anyParentHoldsMissing() {
    BitSet m = missing();
    for (int i = m.nextSetBit(0); i >= 0; i = m.nextSetBit(i + 1)) {
      if (availability[i] > 0) {
        return true;
      }
    }
    return false;
  }

  int inflightTo(String parentId) {
    Parent p = parents.get(parentId);
    return p == null ? 0 : p.inflight;
  }

  private BitSet missing() {
    BitSet m = new BitSet(pieceCount);
    m.set(0, pieceCount);
    m.andNot(have);
    return m;
  }
}
