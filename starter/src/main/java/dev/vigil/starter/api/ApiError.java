package dev.vigil.starter.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.serde.annotation.Serdeable;
import java.util.Map;

/**
 * Every error body of the API: a stable code for programs and one line a person can act on.
 *
 * @param code UNAUTHENTICATED, FORBIDDEN, NOT_FOUND, INVALID_REQUEST, METHOD_NOT_ALLOWED,
 *     UNSUPPORTED_MEDIA_TYPE, DUPLICATE_RUN, RUN_CLOSED, TEMPORAL_UNAVAILABLE, CATALOG_UNAVAILABLE,
 *     INTERNAL
 * @param details optional facts (e.g. the run id of a duplicate)
 */
@Serdeable
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ApiError(String code, String message, @Nullable Map<String, String> details) {
  static ApiError of(String code, String message) {
    return new ApiError(code, message, null);
  }
}
