package dev.dfcache.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dfcache.tls.CertificateRoles.Role;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CertificateRolesTest {
  @TempDir
  Path dir;

  @Test
  void aRoleIsAUriNameTheCertificateCarries() throws Exception {
    assertEquals(0, CertsCommand.run("--role", "scheduler", dir.toString(),
        "scheduler-0,dfcache-scheduler,10.0.0.9"));
    var chain = TlsFiles.chain(dir.resolve("scheduler-0"));
    assertEquals(EnumSet.of(Role.SCHEDULER), CertificateRoles.of(chain));
    assertTrue(CertificateRoles.has(chain, Role.SCHEDULER));
    assertEquals(List.of("scheduler-0", "dfcache-scheduler", "10.0.0.9"),
        CertificateRoles.hostNames(chain));
  }

  @Test
  void withoutRoleACertificateGetsEveryRole() throws Exception {
    assertEquals(0, CertsCommand.run(dir.toString(), "127.0.0.1"));
    assertEquals(EnumSet.allOf(Role.class),
        CertificateRoles.of(TlsFiles.chain(dir.resolve("127.0.0.1"))));
  }

  @Test
  void severalRolesAndBadOnes() throws Exception {
    assertEquals(0, CertsCommand.run("--role", "dfdaemon,manager", dir.toString(), "node-1"));
    assertEquals(EnumSet.of(Role.DFDAEMON, Role.MANAGER),
        CertificateRoles.of(TlsFiles.chain(dir.resolve("node-1"))));
    assertEquals(1, CertsCommand.run("--role", "admin", dir.toString(), "node-2"));
    assertEquals("no role", CertificateRoles.describe(EnumSet.noneOf(Role.class)));
  }
}
