package dev.vigil.starter.api;

import io.micronaut.context.annotation.Replaces;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.MediaType;
import io.micronaut.http.MutableHttpResponse;
import io.micronaut.http.server.exceptions.response.Error;
import io.micronaut.http.server.exceptions.response.ErrorContext;
import io.micronaut.http.server.exceptions.response.ErrorResponseProcessor;
import jakarta.inject.Singleton;

/**
 * Gives Micronaut's own errors (no route, wrong method, bad JSON, a query value that does not
 * convert, a constraint violation) the API's {@link ApiError} body, always JSON, so clients parse
 * one format whatever failed.
 */
@Singleton
@Replaces(ErrorResponseProcessor.class)
final class ApiErrorResponses implements ErrorResponseProcessor<ApiError> {
  @Override
  @SuppressWarnings("unchecked")
  public MutableHttpResponse<ApiError> processResponse(
      ErrorContext context, MutableHttpResponse<?> response) {
    HttpRequest<?> request = context.getRequest();
    String where = request.getMethod() + " " + request.getPath();
    ApiError body =
        switch (response.code()) {
          case 400 -> ApiError.of("INVALID_REQUEST", firstError(context, "bad request"));
          case 401 -> ApiError.of("UNAUTHENTICATED", firstError(context, "not authenticated"));
          case 403 -> ApiError.of("FORBIDDEN", firstError(context, "forbidden"));
          case 404 ->
              ApiError.of(
                  "NOT_FOUND",
                  "no endpoint " + where + "; the API's paths are in /openapi/vigil.yml");
          case 405 ->
              ApiError.of(
                  "METHOD_NOT_ALLOWED",
                  request.getMethod()
                      + " is not allowed on "
                      + request.getPath()
                      + "; the API's paths are in /openapi/vigil.yml");
          case 406 ->
              ApiError.of(
                  "NOT_ACCEPTABLE",
                  "cannot answer "
                      + where
                      + " in the accepted media type; accept application/json");
          case 413 -> ApiError.of("PAYLOAD_TOO_LARGE", "the request body is too large");
          case 415 ->
              ApiError.of(
                  "UNSUPPORTED_MEDIA_TYPE",
                  where + " takes a JSON body; send Content-Type: application/json");
          default ->
              response.code() >= 500
                  ? ApiError.of("INTERNAL", "unexpected error in " + where + "; see the API's log")
                  : ApiError.of("HTTP_" + response.code(), firstError(context, where));
        };
    return ((MutableHttpResponse<ApiError>) response)
        .contentType(MediaType.APPLICATION_JSON_TYPE)
        .body(body);
  }

  /** The first error's message on one line, prefixed with its path (the field) when known. */
  private static String firstError(ErrorContext context, String fallback) {
    if (!context.hasErrors()) {
      return fallback;
    }
    Error error = context.getErrors().get(0);
    String message = error.getMessage() == null ? fallback : error.getMessage();
    message = message.lines().findFirst().orElse(fallback);
    return error.getPath().map(path -> path + ": ").orElse("") + message;
  }
}
