package dev.vigil.starter.api;

import dev.vigil.starter.DuplicateRunException;
import dev.vigil.starter.read.CatalogReadException;
import dev.vigil.workflows.connection.TemporalStubs;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.MediaType;
import io.micronaut.http.annotation.Produces;
import io.micronaut.http.server.exceptions.ExceptionHandler;
import jakarta.inject.Singleton;
import java.sql.SQLException;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Maps Vigil's and its backends' failures to {@link ApiError} answers. */
final class ApiExceptionHandlers {
  private static final Logger log = LoggerFactory.getLogger(ApiExceptionHandlers.class);

  private ApiExceptionHandlers() {}

  static HttpResponse<ApiError> answer(HttpStatus status, ApiError body) {
    return HttpResponse.<ApiError>status(status)
        .contentType(MediaType.APPLICATION_JSON_TYPE)
        .body(body);
  }

  /** Expected failures raised by the controllers. */
  @Singleton
  @Produces
  static final class Expected implements ExceptionHandler<ApiException, HttpResponse<ApiError>> {
    @Override
    public HttpResponse<ApiError> handle(HttpRequest request, ApiException exception) {
      return answer(exception.status(), exception.body());
    }
  }

  /** A run with the same business id was started before: 409, naming it. */
  @Singleton
  @Produces
  static final class Duplicate
      implements ExceptionHandler<DuplicateRunException, HttpResponse<ApiError>> {
    @Override
    public HttpResponse<ApiError> handle(HttpRequest request, DuplicateRunException exception) {
      return answer(
          HttpStatus.CONFLICT,
          new ApiError(
              "DUPLICATE_RUN",
              "run "
                  + exception.workflowId()
                  + " was already started; follow it at /api/v1/runs/"
                  + exception.workflowId()
                  + " or start again with another \"at\"",
              Map.of("runId", exception.workflowId())));
    }
  }

  /**
   * Anything else: Temporal or the catalog out of reach is 503 with what to check; the rest is a
   * 500 whose cause chain goes to the log, never to the client (it may name hosts or SQL).
   */
  @Singleton
  @Produces
  static final class Unexpected
      implements ExceptionHandler<RuntimeException, HttpResponse<ApiError>> {
    private static final Set<Status.Code> UNREACHABLE =
        Set.of(Status.Code.UNAVAILABLE, Status.Code.DEADLINE_EXCEEDED, Status.Code.UNAUTHENTICATED);

    private final TemporalProperties temporal;

    Unexpected(TemporalProperties temporal) {
      this.temporal = temporal;
    }

    @Override
    public HttpResponse<ApiError> handle(HttpRequest request, RuntimeException exception) {
      for (Throwable cause = exception; cause != null; cause = cause.getCause()) {
        if (cause instanceof StatusRuntimeException grpc
            && UNREACHABLE.contains(grpc.getStatus().getCode())) {
          log.warn(
              "Temporal unreachable for {} {}: {}",
              request.getMethod(),
              request.getPath(),
              grpc.getStatus());
          String tlsOrKey = TemporalStubs.explain(grpc, temporal.access());
          return answer(
              HttpStatus.SERVICE_UNAVAILABLE,
              ApiError.of(
                  "TEMPORAL_UNAVAILABLE",
                  tlsOrKey != null
                      ? tlsOrKey
                      : "Temporal at "
                          + temporal.target()
                          + " cannot be reached ("
                          + grpc.getStatus().getCode()
                          + "); check temporal.target in vigil.yaml and that the server runs"));
        }
        if (cause instanceof SQLException sql
            && (unreachable(sql) || exception instanceof CatalogReadException)) {
          log.warn(
              "catalog unreachable for {} {}: SQL state {}",
              request.getMethod(),
              request.getPath(),
              sql.getSQLState());
          return answer(
              HttpStatus.SERVICE_UNAVAILABLE,
              ApiError.of(
                  "CATALOG_UNAVAILABLE",
                  "the catalog database cannot be read (SQL state "
                      + sql.getSQLState()
                      + "); check catalog.jdbc-url, user and password in vigil.yaml, that"
                      + " PostgreSQL runs and that a worker has migrated the catalog"));
        }
      }
      log.error("unexpected failure of {} {}", request.getMethod(), request.getPath(), exception);
      return answer(
          HttpStatus.INTERNAL_SERVER_ERROR,
          ApiError.of(
              "INTERNAL",
              "unexpected error in "
                  + request.getMethod()
                  + " "
                  + request.getPath()
                  + "; see the API's log"));
    }

    /** Connection (08), authorization (28), missing database (3D) and shutdown (57P) states. */
    private static boolean unreachable(SQLException sql) {
      String state = sql.getSQLState();
      return state != null
          && (state.startsWith("08")
              || state.startsWith("28")
              || state.startsWith("3D")
              || state.startsWith("57P"));
    }
  }
}
