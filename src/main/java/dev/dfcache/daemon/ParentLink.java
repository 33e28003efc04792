package dev.dfcache.daemon;

import dev.dfcache.api.common.PiecePacket;
import dev.dfcache.api.common.PieceTaskRequest;
import dev.dfcache.api.scheduler.PeerPacket;
import dev.dfcache.common.HostPort;
import dev.dfcache.rpc.DaemonRpc;
import dev.dfcache.rpc.StreamingMethod;
import io.grpc.Metadata;
import io.grpc.Status;

/**
 * A download's SyncPieceTasks stream to one parent: the parent tells which pieces it holds, and
 * tells again each time it verifies more, until it holds all of them.
 */
final class ParentLink implements StreamingMethod.Listener<PiecePacket> {

  /** What the download hears from its links. Called on grpc threads. */
  interface Owner {
    void onPieces(String parentId, String parentIp, PiecePacket packet);

    void onLinkClosed(String parentId, Status status);
  }

  private final String parentId;
  private final String parentIp;
  private final Owner owner;
  private volatile StreamingMethod.Call<PieceTaskRequest> call;
  private volatile boolean cancelled;

  private ParentLink(String parentId, String parentIp, Owner owner) {
    this.parentId = parentId;
    this.parentIp = parentIp;
    this.owner = owner;
  }

  /** Opens a link to the parent a PeerPacket names, or returns null if it names no valid one. */
  static ParentLink open(DaemonEnv env, String taskId, PeerPacket.DestPeer dest, Owner owner) {
    if (dest.getPeerId().isBlank() || dest.getIp().isBlank() || dest.getRpcPort() <= 0
        || dest.getRpcPort() > 65535) {
      return null;
    }
    ParentLink link = new ParentLink(dest.getPeerId(), dest.getIp(), owner);
    link.call = DaemonRpc.SYNC_PIECE_TASKS.open(
        env.peerChannels().get(new HostPort(dest.getIp(), dest.getRpcPort())), link);
    link.call.send(PieceTaskRequest.newBuilder().setTaskId(taskId).setSrcPid(env.self().id())
        .setDstPid(dest.getPeerId()).setStartNum(0).setLimit(0).build());
    return link;
  }

  @Override
  public void onMessage(PiecePacket packet) {
    if (!cancelled) {
      owner.onPieces(parentId, parentIp, packet);
    }
  }

  @Override
  public void onClose(Status status, Metadata trailers) {
    if (!cancelled) {
      owner.onLinkClosed(parentId, status);
    }
  }

  void cancel() {
    cancelled = true;
    StreamingMethod.Call<PieceTaskRequest> c = call;
    if (c != null) {
      c.cancel("download no longer needs this parent");
    }
  }
}
