package dev.dfcache.dynconfig;

import dev.dfcache.api.manager.KeepAliveRequest;
import dev.dfcache.common.HostPort;
import io.grpc.Channel;
import java.time.Duration;

/** What a scheduler or a daemon does with its manager; driven by {@link ManagerLink}. */
public interface ManagedComponent {
  /** For logs: "scheduler 10.0.0.5:8002", "peer node-3". */
  String describe();

  /**
   * Registers (again: it is an upsert) and returns the component's configuration. Blocking: runs
   * on the link's own thread. @throws RuntimeException when the manager cannot be asked
   */
  Dynconfig register(Channel manager, Duration deadline);

  /** A keep-alive with this component's identity and its metrics summary now. */
  KeepAliveRequest keepAlive();

  /** Applies a configuration (on the link's thread; the component reads it where it uses it). */
  void apply(Dynconfig config);

  /**
   * Whether the configuration lacks what only a later registration can bring (a daemon's
   * schedulers while the manager has none registered): the link then asks again soon, after a
   * delay that grows from a second up to the refresh interval, not only at the refresh.
   */
  default boolean incomplete(Dynconfig config) {
    return false;
  }

  /**
   * While the component lacks its configuration (incomplete, or none at all): when the link
   * asks the manager again. On the link's thread.
   *
   * @param reached whether the manager answered (with an incomplete configuration) or was not
   *     reached at all
   */
  default void askingAgain(HostPort manager, boolean reached, Duration in) {}
}
