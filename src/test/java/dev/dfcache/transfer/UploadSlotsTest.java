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
}
