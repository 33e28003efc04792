package dev.dfcache.daemon;

import dev.dfcache.common.DfException;
import dev.dfcache.rpc.WholeRequests;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.http.javadsl.model.AttributeKeys;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.RemoteAddress;
import org.apache.pekko.japi.function.Function;

/**
 * Keeps the local API off the TCP port, which other hosts reach (the peer API lives there): a
 * StatTask, ImportTask, ExportTask or DeleteTask arriving over TCP is answered PermissionDenied
 * (1403) with the socket to use, before any method sees it. With the legacy TCP local API on,
 * such calls pass only from an address of this host (loopback or one of its interfaces); they
 * then act as the daemon itself, inside the allowed directories (none by default).
 */
final class TcpLocalApiGate {
  static final Set<String> LOCAL_METHODS = Set.of("/dfdaemon.Daemon/StatTask",
      "/dfdaemon.Daemon/ImportTask", "/dfdaemon.Daemon/ExportTask", "/dfdaemon.Daemon/DeleteTask");

  private TcpLocalApiGate() {}

  /** Needs {@code pekko.http.server.remote-address-attribute = on} on the server. */
  static Function<HttpRequest, CompletionStage<HttpResponse>> wrap(
      Function<HttpRequest, CompletionStage<HttpResponse>> handler, boolean legacyTcp,
      Path socket) {
    return request -> {
      if (!LOCAL_METHODS.contains(request.getUri().path())) {
        return handler.apply(request);
      }
      if (!legacyTcp) {
        return refuse("the local API (stat, import, export, delete) is served on the unix "
            + "socket only: dfcache --daemon unix:" + socket + " (this TCP port is for peers)");
      }
      Optional<InetAddress> from = request.getAttribute(AttributeKeys.remoteAddress)
          .flatMap(RemoteAddress::getAddress);
      if (from.isEmpty() || !onThisHost(from.get())) {
        return refuse("the legacy TCP local API answers callers on this host only, not "
            + from.map(InetAddress::getHostAddress).orElse("an unknown address"));
      }
      return handler.apply(request);
    };
  }

  static boolean onThisHost(InetAddress address) {
    if (address.isLoopbackAddress() || address.isAnyLocalAddress()) {
      return true;
    }
    try {
      return NetworkInterface.getByInetAddress(address) != null;
    } catch (SocketException e) {
      return false;
    }
  }

  private static CompletionStage<HttpResponse> refuse(String why) {
    return CompletableFuture.completedFuture(
        WholeRequests.errorResponse(DfException.permissionDenied(why)));
  }
}
