package dev.dfcache.manager.rest;

import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;

/**
 * A request refused with a status and a message for the caller. Thrown anywhere in a handler
 * (also inside a database transaction, which it rolls back) and turned into a JSON response in
 * one place, {@link Responses#of(Throwable)}, so every refusal looks the same.
 */
public final class ApiError extends RuntimeException {
  private final StatusCode status;

  public ApiError(StatusCode status, String message) {
    super(message, null, false, false); // an answer, not a failure: no stack trace needed
    this.status = status;
  }

  public StatusCode status() {
    return status;
  }

  public static ApiError badRequest(String message) {
    return new ApiError(StatusCodes.BAD_REQUEST, message);
  }

  public static ApiError unauthorized(String message) {
    return new ApiError(StatusCodes.UNAUTHORIZED, message);
  }

  public static ApiError forbidden(String message) {
    return new ApiError(StatusCodes.FORBIDDEN, message);
  }

  public static ApiError notFound(String message) {
    return new ApiError(StatusCodes.NOT_FOUND, message);
  }

  public static ApiError conflict(String message) {
    return new ApiError(StatusCodes.CONFLICT, message);
  }

  public static ApiError tooLarge(String message) {
    return new ApiError(StatusCodes.PAYLOAD_TOO_LARGE, message);
  }
}
