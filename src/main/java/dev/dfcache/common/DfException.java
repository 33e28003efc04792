package dev.dfcache.common;

import dev.dfcache.api.common.Code;

/**
 * A failure with a Dragonfly error code (API.md "Errors"). Services turn it into gRPC status
 * UNKNOWN with message {@code [<code>]<text>} and a GrpcDfError detail; the CLI prints its text.
 */
public class DfException extends RuntimeException {
  private final Code code;

  public DfException(Code code, String message) {
    super(message, null, false, false);
    this.code = code;
  }

  public DfException(Code code, String message, Throwable cause) {
    super(message, cause, false, false);
    this.code = code;
  }

  public Code code() {
    return code;
  }

  public static DfException badRequest(String message) {
    return new DfException(Code.BadRequest, message);
  }

  public static DfException permissionDenied(String message) {
    return new DfException(Code.PermissionDenied, message);
  }

  public static DfException notFound(String message) {
    return new DfException(Code.PeerTaskNotFound, message);
  }

  /** The DfException inside a (possibly wrapped) failure, or an UnknownError carrying its text. */
  public static DfException of(Throwable t) {
    Throwable cur = t;
    while (cur != null) {
      if (cur instanceof DfException df) {
        return df;
      }
      if (cur instanceof java.util.concurrent.TimeoutException) {
        return new DfException(Code.RequestTimeOut, "timed out: " + cur.getMessage(), cur);
      }
      DfException fromGrpc = GrpcErrors.fromStatusException(cur);
      if (fromGrpc != null) {
        return fromGrpc;
      }
      cur = cur.getCause();
    }
    return new DfException(Code.UnknownError, String.valueOf(t), t);
  }
}
