package dev.dfcache.transfer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.dfcache.transfer.UploadSlots.Refusal;
import org.junit.jupiter.api.Test;

class UploadSlotsTest {

  @Test
  void aPieceIsUploadedToOnePeerAtATime() {
    UploadSlots slots = new UploadSlots(64, 3);
    assertNull(slots.tryAcquire("t", 0));
    assertEquals(Refusal.PIECE_BUSY, slots.tryAcquire("t", 0));
    assertNull(slots.tryAcquire("t", 4096), "another piece is fine");
    assertNull(slots.tryAcquire("other", 0), "the same range of another task is fine");
    slots.release("t", 0);
    assertNull(slots.tryAcquire("t", 0), "free again once its upload ended");
  }

  @Test
  void aTaskGetsAtMostItsShareOfUploads() {
    UploadSlots slots = new UploadSlots(64, 3);
    for (int i = 0; i < 3; i++) {
      assertNull(slots.tryAcquire("t", i));
    }
    assertEquals(Refusal.TASK_FULL, slots.tryAcquire("t", 3));
    assertNull(slots.tryAcquire("u", 3));
    slots.release("t", 1);
    assertNull(slots.tryAcquire("t", 3));
    assertEquals(4, slots.active());
  }

  @Test
  void theHostLimitComesFirstAndZeroMeansNoTaskLimit() {
    UploadSlots slots = new UploadSlots(2, 0);
    assertNull(slots.tryAcquire("t", 0));
    assertNull(slots.tryAcquire("t", 1));
    assertEquals(Refusal.HOST_FULL, slots.tryAcquire("t", 2));
    assertEquals(Refusal.HOST_FULL, slots.tryAcquire("u", 0));
    slots.release("t", 9); // never acquired: nothing changes
    assertEquals(2, slots.active());
    slots.release("t", 0);
    slots.release("t", 1);
    assertEquals(0, slots.active());
  }
}
