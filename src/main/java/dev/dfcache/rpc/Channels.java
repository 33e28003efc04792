package dev.dfcache.rpc;

import dev.dfcache.common.HostPort;
import dev.dfcache.tls.TlsTarget;
import io.grpc.Codec;
import io.grpc.DecompressorRegistry;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/** HTTP/2 channels to dfcache servers, one per address, reused: plaintext or mutual TLS. */
public final class Channels implements AutoCloseable {
  private final ConcurrentHashMap<String, ManagedChannel> channels = new ConcurrentHashMap<>();
  /** null = plaintext. */
  private final io.grpc.netty.shaded.io.netty.handler.ssl.SslContext tls;
  /** Whom the TLS channels dial: the name their certificates must carry, for messages. */
  private final TlsTarget target;

  public Channels() {
    this(null);
  }

  /**
   * @param tls a client context (TlsFiles.grpcClient: servers checked against the host they are
   *     dialled at; PeerTls.grpcClient: the CA alone), or null for plaintext
   */
  public Channels(io.grpc.netty.shaded.io.netty.handler.ssl.SslContext tls) {
    this(tls, TlsTarget.AS_DIALLED);
  }

  /**
   * @param target the TLS server name each address is checked against (whatever address is
   *     dialled: a scheduler Service's name for the pod IPs the manager hands out), and the words
   *     for a failed handshake
   */
  public Channels(io.grpc.netty.shaded.io.netty.handler.ssl.SslContext tls, TlsTarget target) {
    this.tls = tls;
    this.target = target;
  }

  /**
   * A new channel. It offers only the identity encoding: pekko-grpc gzips every response for a
   * client that offers gzip, which costs far more CPU than it saves on a LAN.
   */
  public static ManagedChannel open(HostPort address) {
    return configure(NettyChannelBuilder.forAddress(address.host(), address.port())).build();
  }

  /** What every plaintext dfcache channel has. */
  static NettyChannelBuilder configure(NettyChannelBuilder builder) {
    return withDefaults(builder).usePlaintext();
  }

  /** What every dfcache channel has: identity encoding only, 64 MiB messages. */
  private static NettyChannelBuilder withDefaults(NettyChannelBuilder builder) {
    return builder
        .decompressorRegistry(DecompressorRegistry.emptyInstance().with(Codec.Identity.NONE, false))
        .maxInboundMessageSize(64 * 1024 * 1024);
  }

  public ManagedChannel get(HostPort address) {
    return channels.computeIfAbsent(address.toString(), k -> tls == null ? open(address)
        : openTls(address));
  }

  /**
   * A TLS channel to {@code address} whose server must present a certificate for the target's
   * name: overrideAuthority makes grpc-java check the certificate (and send SNI and the HTTP/2
   * :authority) for that name instead of the address. A failed handshake comes back in words.
   */
  private ManagedChannel openTls(HostPort address) {
    NettyChannelBuilder builder =
        withDefaults(NettyChannelBuilder.forAddress(address.host(), address.port()))
            .sslContext(tls)
            .intercept(new TlsFailureWords(target, address));
    String name = target.nameFor(address);
    if (name != null && !name.equals(address.host())) {
      builder.overrideAuthority(
          (name.contains(":") ? "[" + name + "]" : name) + ":" + address.port());
    }
    return builder.build();
  }

  /** A channel to a daemon's local API on its unix socket (tests, bench), reused. */
  public ManagedChannel local(java.nio.file.Path socket) {
    return channels.computeIfAbsent("unix:" + socket, k -> openLocal(socket));
  }

  /** A new channel to a daemon's unix socket. */
  public static ManagedChannel openLocal(java.nio.file.Path socket) {
    return configure(NettyChannelBuilder
            .forAddress(new io.grpc.netty.shaded.io.netty.channel.unix.DomainSocketAddress(
                socket.toString())))
        .channelType(io.grpc.netty.shaded.io.netty.channel.epoll.EpollDomainSocketChannel.class)
        .eventLoopGroup(LocalLoop.GROUP)
        .build();
  }

  /** One small epoll loop for every unix socket channel of the process. */
  private static final class LocalLoop {
    static final io.grpc.netty.shaded.io.netty.channel.EventLoopGroup GROUP =
        new io.grpc.netty.shaded.io.netty.channel.epoll.EpollEventLoopGroup(2,
            r -> {
              Thread t = new Thread(r, "dfcache-local-api");
              t.setDaemon(true);
              return t;
            });
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
