package dev.dfcache.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dfcache.api.common.Code;
import dev.dfcache.api.common.UrlMeta;
import org.junit.jupiter.api.Test;

/** The task id vectors of API.md: ids must match Dragonfly's on every node and client. */
class TaskIdsTest {
  private static UrlMeta meta() {
    return UrlMeta.getDefaultInstance();
  }

  @Test
  void plainUrl() {
    assertEquals("100680ad546ce6a577f42f52df33b4cfdca756859e664b8d7de329b150d09ce9",
        TaskIds.taskId("https://example.com", meta()));
  }

  @Test
  void urlWithTag() {
    assertEquals("2773851c628744fb7933003195db436ce397c1722920696c4274ff804d86920b",
        TaskIds.taskId("https://example.com", UrlMeta.newBuilder().setTag("foo").build()));
  }

  @Test
  void urlWithDigestAndRange() {
    assertEquals("aeee0e0a2a0c75130582641353c539aaf9011a0088b31347f7588e70e449a3e0",
        TaskIds.taskId("https://example.com",
            UrlMeta.newBuilder().setDigest("bar").setRange("foo").build()));
  }

  @Test
  void cidWithoutTag() {
    assertEquals("d7y:/testid", TaskIds.urlForCid("testid"));
    assertEquals("cc813a8e13da956b3217727b4e3eb669d6faf899021e1b539cee7efe4daaa13b",
        TaskIds.taskId(TaskIds.urlForCid("testid"), meta()));
  }

  @Test
  void cidEscapedLikeGoQueryEscape() {
    String url = TaskIds.urlForCid("sha256:abc def/x");
    assertEquals("d7y:/sha256%3Aabc+def%2Fx", url);
    assertEquals("e52cd4c98542c8a64364137badc4ff760a7be0a79fddfff42fb4b6398de21d74",
        TaskIds.taskId(url, UrlMeta.newBuilder().setTag("testtag").build()));
    assertEquals("sha256:abc def/x", TaskIds.cidOf(url));
  }

  @Test
  void queryEscapeKeepsUnreservedAndEscapesUtf8() {
    assertEquals("AZaz09-_.~", TaskIds.queryEscape("AZaz09-_.~"));
    assertEquals("%C3%A9%21", TaskIds.queryEscape("é!"));
  }

  @Test
  void filterRemovesQueryKeys() {
    assertEquals("http://h/p?b=2", TaskIds.filterUrl("http://h/p?a=1&b=2", "a"));
    assertEquals("http://h/p", TaskIds.filterUrl("http://h/p?a=1", "a&c"));
  }

  @Test
  void rejectsEmptyBlankAndOversizedIds() {
    assertEquals(Code.BadRequest,
        assertThrows(DfException.class, () -> TaskIds.validatedTaskId("", meta())).code());
    assertEquals(Code.BadRequest, assertThrows(DfException.class,
        () -> TaskIds.validatedTaskId(TaskIds.urlForCid("   "), meta())).code());
    assertThrows(DfException.class,
        () -> TaskIds.validatedTaskId(TaskIds.urlForCid("x".repeat(64 * 1024)), meta()));
    assertThrows(DfException.class, () -> TaskIds.validatedTaskId(TaskIds.urlForCid("x"),
        UrlMeta.newBuilder().setTag("t".repeat(64 * 1024)).build()));
  }

  @Test
  void taskIdShape() {
    assertTrue(TaskIds.isValidTaskId("a".repeat(64)));
    assertFalse(TaskIds.isValidTaskId("A".repeat(64)));
    assertFalse(TaskIds.isValidTaskId("../" + "a".repeat(61)));
    assertFalse(TaskIds.isValidTaskId("a".repeat(63)));
  }
}
