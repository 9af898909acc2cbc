package dev.vigil.starter.api;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import io.micronaut.context.annotation.Replaces;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.MediaType;
import io.micronaut.http.MutableHttpResponse;
import io.micronaut.http.server.exceptions.response.Error;
import io.micronaut.http.server.exceptions.response.ErrorContext;
import io.micronaut.http.server.exceptions.response.ErrorResponseProcessor;
import io.micronaut.web.router.exceptions.UnsatisfiedBodyRouteException;
import jakarta.inject.Singleton;
import java.util.regex.Pattern;

/**
 * Gives Micronaut's own errors (no route, wrong method, bad JSON, a query value that does not
 * convert, a constraint violation) the API's {@link ApiError} body, always JSON, so clients parse
 * one format whatever failed.
 */
@Singleton
@Replaces(ErrorResponseProcessor.class)
final class ApiErrorResponses implements ErrorResponseProcessor<ApiError> {
  /** Words of Java and of the framework that a client must never be shown. */
  private static final Pattern FRAMEWORK_WORDS =
      Pattern.compile(
          "java\\.|dev\\.vigil|com\\.fasterxml|io\\.micronaut|class |\\$|\\b(Optional|Long|Integer"
              + "|String|Boolean|List|Map|Object)\\b|START_|END_|VALUE_|Failed to convert argument"
              + "|Required Body");

  @Override
  @SuppressWarnings("unchecked")
  public MutableHttpResponse<ApiError> processResponse(
      ErrorContext context, MutableHttpResponse<?> response) {
    HttpRequest<?> request = context.getRequest();
    String where = request.getMethod() + " " + request.getPath();
    ApiError body =
        switch (response.code()) {
          case 400 -> ApiError.of("INVALID_REQUEST", badRequest(context, where));
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

  /**
   * Why a request is bad, in the client's words: the field and what was given for a body that does
   * not fit ({@link RequestBodies}), line and column for one that is not JSON. The framework's own
   * messages name Java types and parser tokens; one that still would is replaced, never shown.
   */
  private static String badRequest(ErrorContext context, String where) {
    for (Throwable cause = context.getRootCause().orElse(null);
        cause != null;
        cause = cause.getCause()) {
      if (cause instanceof RequestBodies.BadBody bad) {
        return bad.getMessage();
      }
      if (cause instanceof JsonProcessingException json) {
        JsonLocation location = json.getLocation();
        String reason = json.getOriginalMessage().lines().findFirst().orElse("");
        int detail = reason.indexOf(": was expecting");
        return "the body is not valid JSON"
            + (location == null
                ? ""
                : " at line " + location.getLineNr() + ", column " + location.getColumnNr())
            + ": "
            + (detail < 0 ? reason : reason.substring(0, detail));
      }
      if (cause instanceof UnsatisfiedBodyRouteException) {
        return "the body is empty; " + where + " takes a JSON object (see /openapi/vigil.yml)";
      }
    }
    String message = firstError(context, "bad request");
    if (FRAMEWORK_WORDS.matcher(message).find()) {
      return "the request does not fit " + where + "; see /openapi/vigil.yml";
    }
    return message;
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
