package dev.dfcache.rpc;

import dev.dfcache.common.HostPort;
import java.nio.file.Path;

/**
 * Where a client reaches its dfdaemon's local API: {@code unix:/path/to/socket} (the default and
 * the only one a daemon serves unless its legacy TCP flag is on) or {@code host:port}.
 *
 * @param socket the unix socket, or null
 * @param tcp the TCP address, or null
 */
public record DaemonAddress(Path socket, HostPort tcp) {
  public static final String DEFAULT = "unix:/run/dfcache/dfdaemon.sock";

  public static DaemonAddress parse(String text) {
    if (text.startsWith("unix:")) {
      String path = text.substring("unix:".length());
      if (path.isBlank()) {
        throw new IllegalArgumentException("unix: needs the socket's path, e.g. " + DEFAULT);
      }
      return new DaemonAddress(Path.of(path).toAbsolutePath(), null);
    }
    return new DaemonAddress(null, HostPort.parse(text));
  }

  public static DaemonAddress unix(Path socket) {
    return new DaemonAddress(socket.toAbsolutePath(), null);
  }

  public boolean isUnix() {
    return socket != null;
  }

  @Override
  public String toString() {
    return isUnix() ? "unix:" + socket : tcp.toString();
  }
}
