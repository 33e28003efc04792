package dev.dfcache.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class InflightBudgetTest {

  /** Two downloads share one budget: together they never hold more than it. */
  @Test
  void downloadsShareOneBudgetAndAreWokenWhenBytesAreFreed() {
    InflightBudget budget = new InflightBudget(8);
    AtomicInteger wokenA = new AtomicInteger();
    AtomicInteger wokenB = new AtomicInteger();
    Runnable a = wokenA::incrementAndGet;
    Runnable b = wokenB::incrementAndGet;
    assertTrue(budget.tryAcquire(4, a));
    assertTrue(budget.tryAcquire(4, b));
    assertFalse(budget.tryAcquire(4, a));
    assertFalse(budget.tryAcquire(4, b));
    assertFalse(budget.tryAcquire(4, b), "waiting twice registers once");
    assertEquals(8, budget.used());
    budget.release(4);
    assertEquals(1, wokenA.get());
    assertEquals(1, wokenB.get());
    assertTrue(budget.tryAcquire(4, a));
    budget.release(4);
    assertEquals(1, wokenA.get(), "nobody was waiting any more");
  }

  @Test
  void aPieceLargerThanTheBudgetStillGoesAlone() {
    InflightBudget budget = new InflightBudget(8);
    assertTrue(budget.tryAcquire(64, () -> { }), "nothing else in flight");
    assertFalse(budget.tryAcquire(1, () -> { }));
    budget.release(64);
    assertEquals(0, budget.used());
  }
}
