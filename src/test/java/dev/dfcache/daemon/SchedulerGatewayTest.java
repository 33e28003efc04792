package dev.dfcache.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dfcache.api.common.Code;
import dev.dfcache.common.DfException;
import dev.dfcache.common.HostPort;
import dev.dfcache.common.PeerEndpoint;
import io.grpc.Status;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Which scheduler failures the daemon asks again, and which it passes on at once. */
class SchedulerGatewayTest {

  @Test
  void anAskLostWhileAShardMovesIsAskedAgain() {
    // what a scheduler node answers when sharding's ask to the task's entity timed out
    assertTrue(SchedulerGateway.lostInTheFleet(new DfException(Code.RequestTimeOut, "ask")));
    assertTrue(SchedulerGateway.lostInTheFleet(new DfException(Code.SchedError, "moved")));
    assertTrue(SchedulerGateway.isTransient(new DfException(Code.RequestTimeOut, "ask")));
  }

  @Test
  void aFleetThatIsDownFailsAStatAtOnceButAnAnnounceWaits() {
    DfException down = new DfException(Code.ServerUnavailable, "no scheduler reachable");
    assertFalse(SchedulerGateway.lostInTheFleet(down), "stat: fail fast");
    assertTrue(SchedulerGateway.isTransient(down), "announce: retried with backoff");
  }

  @Test
  void answersAboutTheRequestAreFinal() {
    for (Code c : new Code[] {Code.PeerTaskNotFound, Code.BadRequest}) {
      DfException e = new DfException(c, "x");
      assertFalse(SchedulerGateway.lostInTheFleet(e), c.name());
      assertFalse(SchedulerGateway.isTransient(e), c.name());
    }
  }

  @Test
  void withNoSchedulerKnownCallsFailAtOnceSayingWhyAndTheFirstOnesKnownAreTold() {
    PeerEndpoint self = new PeerEndpoint("h", "127.0.0.1", 1, 2, "host", "", "");
    try (SchedulerGateway g = new SchedulerGateway(List.of(), Duration.ofSeconds(1), self)) {
      g.noneKnownBecause(
          "the manager 127.0.0.1:9 has none registered; asking it again within 2 s");
      for (CompletionStage<?> call : List.of(g.stat("a".repeat(64)),
          g.dropEverywhere("a".repeat(64)), g.heartbeat(0, 1, 0))) {
        CompletionException failed = assertThrows(CompletionException.class,
            () -> call.toCompletableFuture().join());
        DfException e = DfException.of(failed);
        // not retried: the daemon is told when one is known
        assertInstanceOf(NoSchedulerKnownException.class, e);
        assertEquals(Code.ServerUnavailable, e.code());
        assertEquals("no scheduler known yet: the manager 127.0.0.1:9 has none registered; "
            + "asking it again within 2 s", e.getMessage());
      }
      AtomicInteger told = new AtomicInteger();
      g.onSchedulersKnown(told::incrementAndGet);
      g.setSchedulers(List.of());
      assertEquals(0, told.get(), "still none");
      g.setSchedulers(List.of(new HostPort("127.0.0.1", 8002)));
      g.setSchedulers(List.of(new HostPort("127.0.0.1", 8003)));
      assertEquals(1, told.get(), "told once: when the first become known");
      g.setSchedulers(List.of());
      assertEquals(List.of(new HostPort("127.0.0.1", 8003)), g.schedulers(),
          "an empty list from the manager keeps the known ones");
    }
  }

  @Test
  void onlyCallsThatGotNoAnswerGoToTheNextNode() {
    assertTrue(SchedulerGateway.transportFailure(Status.UNAVAILABLE.asRuntimeException()));
    assertTrue(SchedulerGateway.transportFailure(Status.DEADLINE_EXCEEDED.asRuntimeException()));
    assertFalse(SchedulerGateway.transportFailure(Status.NOT_FOUND.asRuntimeException()));
  }
}
