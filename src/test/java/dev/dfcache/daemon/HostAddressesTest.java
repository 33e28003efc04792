package dev.dfcache.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.NetworkInterface;
import java.util.Collections;
import org.junit.jupiter.api.Test;

class HostAddressesTest {
  @Test
  void aConfiguredAddressWins() {
    assertEquals("10.1.2.3", HostAddresses.orFirstNonLoopback("10.1.2.3"));
  }

  @Test
  void noneConfiguredIsAnAddressOfThisHostThatOthersCanReach() throws Exception {
    String chosen = HostAddresses.orFirstNonLoopback("");
    InetAddress address = InetAddress.getByName(chosen);
    boolean anyNetwork = Collections.list(NetworkInterface.getNetworkInterfaces()).stream()
        .anyMatch(n -> {
          try {
            return n.isUp() && !n.isLoopback() && n.inetAddresses()
                .anyMatch(a -> a instanceof java.net.Inet4Address && !a.isLinkLocalAddress());
          } catch (java.net.SocketException e) {
            return false;
          }
        });
    if (anyNetwork) {
      assertFalse(address.isLoopbackAddress(), chosen);
      assertTrue(NetworkInterface.getByInetAddress(address) != null, chosen);
    } else {
      assertEquals("127.0.0.1", chosen);
    }
  }

  @Test
  void callersOnThisHostAreLoopbackOrOurOwnAddresses() throws Exception {
    assertTrue(TcpLocalApiGate.onThisHost(InetAddress.getByName("127.0.0.1")));
    assertTrue(TcpLocalApiGate.onThisHost(InetAddress.getByName(
        HostAddresses.orFirstNonLoopback(""))));
    assertFalse(TcpLocalApiGate.onThisHost(InetAddress.getByName("192.0.2.1"))); // TEST-NET-1
  }
}
