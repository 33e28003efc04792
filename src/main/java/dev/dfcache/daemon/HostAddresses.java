package dev.dfcache.daemon;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.util.Collections;
import java.util.List;

/** The address a daemon advertises when none is configured. */
final class HostAddresses {
  private HostAddresses() {}

  /**
   * {@code configured}, or the first IPv4 address of an interface that is up and not loopback
   * (interfaces in the kernel's order), else 127.0.0.1 (a machine with no network: one node).
   */
  static String orFirstNonLoopback(String configured) {
    if (!configured.isBlank()) {
      return configured;
    }
    try {
      for (NetworkInterface nic : Collections.list(NetworkInterface.getNetworkInterfaces())) {
        if (!nic.isUp() || nic.isLoopback()) {
          continue;
        }
        List<InetAddress> addresses = Collections.list(nic.getInetAddresses());
        for (InetAddress a : addresses) {
          if (a instanceof Inet4Address && !a.isLoopbackAddress() && !a.isLinkLocalAddress()) {
            return a.getHostAddress();
          }
        }
      }
    } catch (SocketException e) {
      // fall through
    }
    return "127.0.0.1";
  }
}
