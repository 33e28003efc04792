package dev.dfcache.common;

import dev.dfcache.api.common.Code;

/**
 * A piece (or piece list) whose bytes do not match the digests the task was announced with: the
 * parent that served it is lying or broken, and is not asked again for this task.
 */
public final class CorruptPieceException extends DfException {
  public CorruptPieceException(String message) {
    super(Code.ClientPieceDownloadFail, message);
  }
}
