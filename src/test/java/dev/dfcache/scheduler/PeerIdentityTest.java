package dev.dfcache.scheduler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dfcache.tls.CertsCommand;
import dev.dfcache.tls.TlsFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PeerIdentityTest {
  @TempDir
  Path dir;

  @Test
  void aCertificateIsTheIpAddressesItNames() throws Exception {
    assertEquals(0, CertsCommand.run(dir.toString(), "node-1,10.0.0.5,::1", "dns-only"));
    List<String> named = PeerIdentity.addressesOf(TlsFiles.chain(dir.resolve("node-1")));
    assertEquals(List.of("10.0.0.5", "0:0:0:0:0:0:0:1"), named);
    assertTrue(Files.isRegularFile(dir.resolve("node-1").resolve("tls.key")));
    PeerIdentity node = PeerIdentity.of(named);
    assertTrue(node.mayActFor("10.0.0.5"));
    assertTrue(node.mayActFor("::1"), "one address, two spellings");
    assertFalse(node.mayActFor("10.0.0.6"));
    assertFalse(node.mayActFor("node-1"), "a name is not an address");
    PeerIdentity dnsOnly = PeerIdentity.of(
        PeerIdentity.addressesOf(TlsFiles.chain(dir.resolve("dns-only"))));
    assertFalse(dnsOnly.mayActFor("10.0.0.5"));
    assertEquals("a certificate without IP addresses", dnsOnly.describe());
  }

  @Test
  void withoutRestrictionAnyoneActsForAnyPeer() {
    assertTrue(PeerIdentity.ANY.mayActFor("192.0.2.1"));
    assertFalse(PeerIdentity.of(List.of()).mayActFor("192.0.2.1"));
  }

  @Test
  void aBadNameInTheListIsRefused() {
    assertEquals(1, CertsCommand.run(dir.toString(), "node-1,bad name"));
  }
}
