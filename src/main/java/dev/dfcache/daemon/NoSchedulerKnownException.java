package dev.dfcache.daemon;

import dev.dfcache.api.common.Code;
import dev.dfcache.common.DfException;

/**
 * A call that needs a scheduler while this daemon knows none yet: it was given only a manager,
 * and the manager has none registered (or was not reached). ServerUnavailable, like a fleet
 * that is down, but not worth retrying at once: the daemon is told when one is known.
 */
final class NoSchedulerKnownException extends DfException {
  NoSchedulerKnownException(String why) {
    super(Code.ServerUnavailable, "no scheduler known yet: " + why);
  }
}
