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
  /** Seconds for a Retry-After header, or 0 for none. */
  private final long retryAfterSeconds;

  public ApiError(StatusCode status, String message) {
    this(status, message, 0);
  }

  private ApiError(StatusCode status, String message, long retryAfterSeconds) {
    super(message, null, false, false); // an answer, not a failure: no stack trace needed
    this.status = status;
    this.retryAfterSeconds = retryAfterSeconds;
  }

  public StatusCode status() {
    return status;
  }

  public long retryAfterSeconds() {
    return retryAfterSeconds;
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

  /** 429 with Retry-After: the caller must wait before trying again. */
  public static ApiError tooManyRequests(String message, long retryAfterSeconds) {
    return new ApiError(StatusCodes.TOO_MANY_REQUESTS, message, retryAfterSeconds);
  }

  /** 503 with Retry-After: the manager is busy, the caller did nothing wrong. */
  public static ApiError unavailable(String message, long retryAfterSeconds) {
    return new ApiError(StatusCodes.SERVICE_UNAVAILABLE, message, retryAfterSeconds);
  }

  public static ApiError tooLarge(String message) {
    return new ApiError(StatusCodes.PAYLOAD_TOO_LARGE, message);
  }
}
