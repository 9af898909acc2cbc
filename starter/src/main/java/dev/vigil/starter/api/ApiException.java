package dev.vigil.starter.api;

import io.micronaut.http.HttpStatus;
import java.util.Map;

/** An expected failure of a request, answered with its status and {@link ApiError} body. */
final class ApiException extends RuntimeException {
  private final HttpStatus status;
  private final String code;
  private final Map<String, String> details;

  ApiException(HttpStatus status, String code, String message, Map<String, String> details) {
    super(message, null, false, false);
    this.status = status;
    this.code = code;
    this.details = details;
  }

  /** 400 INVALID_REQUEST naming the field. */
  static ApiException invalid(String field, String problem) {
    return new ApiException(
        HttpStatus.BAD_REQUEST, "INVALID_REQUEST", field + ": " + problem, null);
  }

  /** 404 NOT_FOUND. */
  static ApiException notFound(String message) {
    return new ApiException(HttpStatus.NOT_FOUND, "NOT_FOUND", message, null);
  }

  HttpStatus status() {
    return status;
  }

  ApiError body() {
    return new ApiError(code, getMessage(), details);
  }
}
