package dev.dfcache.common;

import dev.dfcache.api.common.Code;

/**
 * A download whose pieces each matched the piece list it was announced with, but whose whole
 * content is not what the task's digest (its {@code sha256:} cid) names: the piece list itself is
 * a lie (a squatter's announce) or the copy it was made from was corrupt. The copy is dropped.
 */
public final class ContentMismatchException extends DfException {
  public ContentMismatchException(String message) {
    super(Code.ClientPieceDownloadFail, message);
  }
}
