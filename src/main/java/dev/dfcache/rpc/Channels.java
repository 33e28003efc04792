package dev.dfcache.rpc;

import dev.dfcache.common.HostPort;
import io.grpc.Codec;
import io.grpc.DecompressorRegistry;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/** Plaintext HTTP/2 channels to dfcache servers, one per address, reused. */
public final class Channels implements AutoCloseable {
  private final ConcurrentHashMap<String, ManagedChannel> channels = new ConcurrentHashMap<>();

  /**
   * A new channel. It offers only the identity encoding: pekko-grpc gzips every response for a
   * client that offers gzip, which costs far more CPU than it saves on a LAN.
   */
  public static ManagedChannel open(HostPort address) {
    return configure(NettyChannelBuilder.forAddress(address.host(), address.port())).build();
  }

  /** What every dfcache channel has: plaintext, identity encoding only, 64 MiB messages. */
  static NettyChannelBuilder configure(NettyChannelBuilder builder) {
    return builder
        .usePlaintext()
        .decompressorRegistry(DecompressorRegistry.emptyInstance().with(Codec.Identity.NONE, false))
        .maxInboundMessageSize(64 * 1024 * 1024);
  }

  public ManagedChannel get(HostPort address) {
    return channels.computeIfAbsent(address.toString(), k -> open(address));
  }

  /** After a failure: try to connect again now rather than after the channel's backoff. */
  public void resetBackoff(HostPort address) {
    ManagedChannel ch = channels.get(address.toString());
    if (ch != null) {
      ch.resetConnectBackoff();
    }
  }

  @Override
  public void close() {
    for (ManagedChannel ch : channels.values()) {
      ch.shutdownNow();
      try {
        ch.awaitTermination(2, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    channels.clear();
  }
}
