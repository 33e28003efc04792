package dev.dfcache.transfer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.dfcache.transfer.UploadSlots.Refusal;
import org.junit.jupiter.api.Test;

class UploadSlotsTest {

  @Test
  void aPieceIsUploadedToOnePeerAtATime() {
    UploadSlots slots = new UploadSlots(64, 3);
    assertNull(slots.tryAcquire("t", 0, "peer"));
    assertEquals(Refusal.PIECE_BUSY, slots.tryAcquire("t", 0, "other"));
    assertNull(slots.tryAcquire("t", 0, "peer"), "the same peer asking again is fine");
    slots.release("t", 0, "peer");
    assertNull(slots.tryAcquire("t", 4096, "peer"), "another piece is fine");
    assertNull(slots.tryAcquire("other", 0, "peer"), "the same range of another task is fine");
    slots.release("t", 0, "peer");
    assertNull(slots.tryAcquire("t", 0, "other"), "free again once its upload ended");
  }

  @Test
  void aTaskGetsAtMostItsShareOfUploads() {
    UploadSlots slots = new UploadSlots(64, 3);
    for (int i = 0; i < 3; i++) {
      assertNull(slots.tryAcquire("t", i, "peer"));
    }
    assertEquals(Refusal.TASK_FULL, slots.tryAcquire("t", 3, "peer"));
    assertNull(slots.tryAcquire("u", 3, "peer"));
    slots.release("t", 1, "peer");
    assertNull(slots.tryAcquire("t", 3, "peer"));
    assertEquals(4, slots.active());
  }

  @Test
  void theHostLimitComesFirstAndZeroMeansNoTaskLimit() {
    UploadSlots slots = new UploadSlots(2, 0);
    assertNull(slots.tryAcquire("t", 0, "peer"));
    assertNull(slots.tryAcquire("t", 1, "peer"));
    assertEquals(Refusal.HOST_FULL, slots.tryAcquire("t", 2, "peer"));
    assertEquals(Refusal.HOST_FULL, slots.tryAcquire("u", 0, "peer"));
    slots.release("t", 9, "peer"); // never acquired: nothing changes
    assertEquals(2, slots.active());
    slots.release("t", 0, "peer");
    slots.release("t", 1, "peer");
    assertEquals(0, slots.active());
  }

  /** A seed does not send a piece again right after sending it: the peer that has it can. */
  @Test
  void aWholeTaskHolderWaitsBeforeSendingAPieceAgain() {
    long[] now = {0};
    UploadSlots slots = new UploadSlots(64, 3, () -> now[0]);
    assertNull(slots.tryAcquire("t", 0, "a", true));
    now[0] += 2_000_000_000L;
    slots.release("t", 0, "a", 2_000_000_000L); // took 2 s: the grace is 2 s
    assertEquals(Refusal.PIECE_BUSY, slots.tryAcquire("t", 0, "b", true));
    assertNull(slots.tryAcquire("t", 0, "a", true), "the same peer asking again is fine");
    slots.release("t", 0, "a", -1);
    assertNull(slots.tryAcquire("t", 4096, "b", true), "another piece is fine");
    slots.release("t", 4096, "b", -1);
    assertNull(slots.tryAcquire("t", 0, "b", false), "a holder of part of the task: no grace");
    slots.release("t", 0, "b");
    now[0] += 1_999_000_000L;
    assertEquals(Refusal.PIECE_BUSY, slots.tryAcquire("t", 0, "c", true));
    now[0] += 2_000_000L;
    assertNull(slots.tryAcquire("t", 0, "c", true), "after the grace the seed sends it again");
  }

  @Test
  void theResendGraceIsBounded() {
    long[] now = {0};
    UploadSlots slots = new UploadSlots(64, 3, () -> now[0]);
    assertNull(slots.tryAcquire("t", 0, "a", true));
    slots.release("t", 0, "a", 60_000_000_000L); // a minute: the grace is 3 s at most
    now[0] += UploadSlots.MAX_RESEND_GRACE_NANOS + 1;
    assertNull(slots.tryAcquire("t", 0, "b", true));
    slots.release("t", 0, "b", 1); // a nanosecond: the grace is 250 ms at least
    now[0] += UploadSlots.MIN_RESEND_GRACE_NANOS - 1;
    assertEquals(Refusal.PIECE_BUSY, slots.tryAcquire("t", 0, "c", true));
  }

  @Test
  void aFailedUploadStartsNoGrace() {
    UploadSlots slots = new UploadSlots(64, 3);
    assertNull(slots.tryAcquire("t", 0, "a", true));
    slots.release("t", 0, "a", -1);
    assertNull(slots.tryAcquire("t", 0, "b", true));
  }
}
