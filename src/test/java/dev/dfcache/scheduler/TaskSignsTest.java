package dev.dfcache.scheduler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class TaskSignsTest {
  static TaskInfo info(String sign, long length) {
    return new TaskInfo(length, 1, length, sign, 1, "d", 0, "", "");
  }

  static TaskSigns contentAddressed() {
    TaskSigns s = new TaskSigns(2);
    s.markContentAddressed();
    return s;
  }

  @Test
  void downloadersGetVerifiedGroupsFirstThenAnnounceOrderSkippingWhatTheyRefused() {
    TaskSigns s = contentAddressed();
    s.put(info("squat", 5));
    s.put(info("owner", 10));
    assertEquals("squat", s.choose(List.of(), sign -> true));
    assertEquals("owner", s.choose(List.of("squat"), sign -> true));
    assertNull(s.choose(List.of("squat", "owner"), sign -> true));
    // a group with a live holder before one without
    assertEquals("owner", s.choose(List.of(), sign -> sign.equals("owner")));
    // none alive: still a group, so the registration stands (scheduling says "no live peer")
    assertEquals("squat", s.choose(List.of(), sign -> false));
    s.confirm("owner");
    assertEquals("owner", s.choose(List.of(), sign -> true));
    assertEquals("owner", s.preferred().pieceListSign());
  }

  @Test
  void enoughDistinctHostsDropAGroupAndQuarantineItsSignAndHolders() {
    TaskSigns s = contentAddressed();
    s.put(info("squat", 5));
    s.put(info("owner", 10));
    assertFalse(s.refute("squat", "10.0.0.1"));
    assertFalse(s.refute("squat", "10.0.0.1"), "one host counts once");
    assertTrue(s.refute("squat", "10.0.0.2"));
    long now = 1_000_000;
    s.drop("squat", List.of("squatter"), now);
    assertFalse(s.has("squat"));
    assertEquals("owner", s.preferred().pieceListSign());
    assertNotNull(s.refusal("squat", "someone", now + 1));
    assertNotNull(s.refusal("other-content", "squatter", now + 1), "its holder, whatever it says");
    assertNull(s.refusal("owner", "owner-peer", now + 1));
    long later = now + TaskSigns.QUARANTINE.toMillis() + 1;
    assertNull(s.refusal("squat", "someone", later));
    assertNull(s.refusal("other-content", "squatter", later));
  }

  @Test
  void aTaskThatNamesNoDigestIgnoresRefutations() {
    TaskSigns s = new TaskSigns(1);
    s.put(info("only", 5));
    assertFalse(s.contentAddressed());
    assertFalse(s.refute("only", "10.0.0.1"));
    s.confirm("only");
    assertEquals("only", s.preferred().pieceListSign());
    assertFalse(contentAddressed().refute("unknown", "h"), "a group it does not have");
  }

  @Test
  void aHandOffCarriesGroupsConfirmationsAndQuarantines() {
    TaskSigns s = contentAddressed();
    s.put(info("a", 5));
    s.put(info("b", 10));
    s.confirm("b");
    s.put(info("c", 7));
    s.drop("c", Set.of("p"), 100);
    TaskSigns next = new TaskSigns(2);
    next.restore(s.snapshot());
    assertTrue(next.contentAddressed());
    assertEquals(2, next.size());
    assertEquals("b", next.preferred().pieceListSign());
    assertNotNull(next.refusal("c", "x", 101));
    assertNotNull(next.refusal("z", "p", 101));
  }

  @Test
  void expiredGroupsAreListed() {
    TaskSigns s = contentAddressed();
    s.put(new TaskInfo(5, 1, 5, "short", 1, "d", 1000, "", ""));
    s.put(info("forever", 10));
    assertEquals(List.of(), s.expiredAt(999));
    assertEquals(List.of("short"), s.expiredAt(1000));
  }
}
