package dev.dfcache.localapi;

import dev.dfcache.access.Caller;
import io.grpc.Attributes;
import io.grpc.netty.shaded.io.grpc.netty.GrpcHttp2ConnectionHandler;
import io.grpc.netty.shaded.io.grpc.netty.InternalProtocolNegotiationEvent;
import io.grpc.netty.shaded.io.grpc.netty.InternalProtocolNegotiator;
import io.grpc.netty.shaded.io.grpc.netty.InternalProtocolNegotiators;
import io.grpc.netty.shaded.io.grpc.netty.ProtocolNegotiationEvent;
import io.grpc.netty.shaded.io.netty.channel.ChannelHandler;
import io.grpc.netty.shaded.io.netty.channel.ChannelHandlerContext;
import io.grpc.netty.shaded.io.netty.channel.ChannelInboundHandlerAdapter;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.unix.PeerCredentials;
import io.grpc.netty.shaded.io.netty.util.AsciiString;

/**
 * Plaintext HTTP/2 over a unix socket, plus the kernel's word on who connected: when a
 * connection is set up, SO_PEERCRED (pid, uid, gid) is read from the socket and added to the
 * transport's attributes as {@link #CALLER}, where every call on that connection finds it.
 *
 * <p>grpc-java has no public API for this (grpc-java#2646); these are its {@code Internal*}
 * hooks, pinned by the grpc-netty-shaded version pekko-grpc brings (1.67.1) and covered by
 * LocalSocketIT. A connection whose credentials cannot be read gets no caller, and every call on
 * it is refused.
 */
final class PeerCredentialsNegotiator implements InternalProtocolNegotiator.ProtocolNegotiator {
  static final Attributes.Key<Caller> CALLER = Attributes.Key.create("dfcache.caller");

  private final InternalProtocolNegotiator.ProtocolNegotiator plaintext =
      InternalProtocolNegotiators.serverPlaintext();

  @Override
  public AsciiString scheme() {
    return plaintext.scheme();
  }

  @Override
  public ChannelHandler newHandler(GrpcHttp2ConnectionHandler grpcHandler) {
    ChannelHandler next = plaintext.newHandler(grpcHandler);
    return new ChannelInboundHandlerAdapter() {
      @Override
      public void handlerAdded(ChannelHandlerContext ctx) {
        ctx.pipeline().addAfter(ctx.name(), null, next);
      }

      @Override
      public void userEventTriggered(ChannelHandlerContext ctx, Object event) throws Exception {
        if (event instanceof ProtocolNegotiationEvent negotiation) {
          Attributes attrs = InternalProtocolNegotiationEvent.getAttributes(negotiation);
          Caller caller = callerOf(ctx);
          if (caller != null) {
            attrs = attrs.toBuilder().set(CALLER, caller).build();
          }
          ctx.pipeline().remove(this);
          ctx.fireUserEventTriggered(
              InternalProtocolNegotiationEvent.withAttributes(negotiation, attrs));
        } else {
          super.userEventTriggered(ctx, event);
        }
      }
    };
  }

  private static Caller callerOf(ChannelHandlerContext ctx) {
    if (!(ctx.channel() instanceof EpollDomainSocketChannel socket)) {
      return null;
    }
    try {
      PeerCredentials c = socket.peerCredentials();
      int gid = c.gids().length > 0 ? c.gids()[0] : -1;
      return Caller.ofPeer(c.pid(), c.uid(), gid);
    } catch (java.io.IOException e) {
      return null;
    }
  }

  @Override
  public void close() {
    plaintext.close();
  }
}
