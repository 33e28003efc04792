package dev.dfcache.manager.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dfcache.api.common.Code;
import dev.dfcache.common.DfException;
import dev.dfcache.manager.grpc.ComponentIdentity.Caller;
import dev.dfcache.tls.CertificateRoles.Role;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Who may register as what, where: the role, then the names, the source, or a DNS name. */
class RegistrationRuleTest {
  private final RegistrationRule rule = new RegistrationRule();

  @AfterEach
  void close() {
    rule.close();
  }

  private static Caller caller(Role role, String source, String... names) {
    return new Caller(true, EnumSet.of(role), List.of(names), source);
  }

  private void allowed(Caller c, Role role, String ip) throws Exception {
    rule.check(c, role, ip, 8002).toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  private String refused(Caller c, Role role, String ip) {
    ExecutionException e = assertThrows(ExecutionException.class,
        () -> rule.check(c, role, ip, 8002).toCompletableFuture().get(30, TimeUnit.SECONDS));
    DfException df = (DfException) e.getCause();
    assertEquals(Code.PermissionDenied, df.code());
    return df.getMessage();
  }

  @Test
  void aPlaintextManagerChecksNothing() throws Exception {
    allowed(Caller.ANY, Role.SCHEDULER, "10.0.0.1");
  }

  @Test
  void theRoleComesFirst() {
    String m = refused(caller(Role.DFDAEMON, "10.0.0.1", "10.0.0.1"), Role.SCHEDULER,
        "10.0.0.1");
    assertTrue(m.contains("has dfdaemon, not the scheduler role"), m);
    assertTrue(m.contains("bin/dfcache-certs --role scheduler"), m);
  }

  @Test
  void anAddressTheCertificateNamesOrTheConnectionComesFrom() throws Exception {
    allowed(caller(Role.SCHEDULER, "10.0.0.9", "sched", "10.0.0.5"), Role.SCHEDULER,
        "10.0.0.5");
    allowed(caller(Role.SCHEDULER, "10.0.0.9", "dfcache-scheduler"), Role.SCHEDULER,
        "10.0.0.9");
    allowed(caller(Role.DFDAEMON, "::1", "d"), Role.DFDAEMON, "0:0:0:0:0:0:0:1");
    // a DNS name the certificate holds, resolved (localhost: no network needed)
    allowed(caller(Role.SCHEDULER, "10.0.0.9", "localhost"), Role.SCHEDULER, "127.0.0.1");
    String m = refused(caller(Role.SCHEDULER, "10.0.0.9", "sched", "10.0.0.5"),
        Role.SCHEDULER, "10.0.0.6");
    assertTrue(m.contains("scheduler at 10.0.0.6:8002"), m);
    assertTrue(m.contains("names sched, 10.0.0.5"), m);
    assertTrue(m.contains("comes from 10.0.0.9"), m);
    // a host name where an address belongs is no address of the caller's
    refused(caller(Role.SCHEDULER, "10.0.0.9", "cafe"), Role.SCHEDULER, "cafe");
  }

  @Test
  void keepAlivesOfPeersCheckTheRoleOnly() throws Exception {
    allowed(caller(Role.DFDAEMON, "10.0.0.9"), Role.DFDAEMON, null);
    refused(caller(Role.SCHEDULER, "10.0.0.9"), Role.DFDAEMON, null);
  }
}
