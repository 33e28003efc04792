package dev.dfcache.daemon;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dfcache.api.common.Code;
import dev.dfcache.common.DfException;
import io.grpc.Status;
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
  void onlyCallsThatGotNoAnswerGoToTheNextNode() {
    assertTrue(SchedulerGateway.transportFailure(Status.UNAVAILABLE.asRuntimeException()));
    assertTrue(SchedulerGateway.transportFailure(Status.DEADLINE_EXCEEDED.asRuntimeException()));
    assertFalse(SchedulerGateway.transportFailure(Status.NOT_FOUND.asRuntimeException()));
  }
}
