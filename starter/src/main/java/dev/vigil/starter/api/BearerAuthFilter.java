package dev.vigil.starter.api;

import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpHeaders;
import io.micronaut.http.HttpMethod;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.MediaType;
import io.micronaut.http.annotation.RequestFilter;
import io.micronaut.http.annotation.ServerFilter;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Authenticates everything under {@code /api/}: {@code Authorization: Bearer <token>}. A viewer may
 * read (GET, HEAD, OPTIONS); any other method needs an operator, so every endpoint that starts or
 * changes something (runs today, schedules later) is covered without marking it.
 *
 * <p>A filter rather than micronaut-security: one class, JSON bodies for 401/403 in the API's own
 * error format, no security rule chain to configure. The caller (name and role, never the token)
 * becomes a request attribute for the controllers.
 */
@ServerFilter("/api/**")
final class BearerAuthFilter {
  private static final Logger log = LoggerFactory.getLogger(BearerAuthFilter.class);
  private static final Set<HttpMethod> READS =
      Set.of(HttpMethod.GET, HttpMethod.HEAD, HttpMethod.OPTIONS);
  private static final String PREFIX = "Bearer ";

  private final TokenStore tokens;

  BearerAuthFilter(TokenStore tokens) {
    this.tokens = tokens;
  }

  @RequestFilter
  @Nullable
  HttpResponse<?> authenticate(HttpRequest<?> request) {
    Optional<String> header = request.getHeaders().getAuthorization();
    if (header.isEmpty()) {
      return unauthenticated(
          request,
          "no bearer token; send Authorization: Bearer <token> with a token from api.tokens");
    }
    String value = header.get();
    if (!value.regionMatches(true, 0, PREFIX, 0, PREFIX.length())) {
      return unauthenticated(
          request, "the Authorization header is not a bearer token; send Bearer <token>");
    }
    Optional<Caller> caller = tokens.authenticate(value.substring(PREFIX.length()).strip());
    if (caller.isEmpty()) {
      return unauthenticated(
          request, "unknown bearer token; use a token configured under api.tokens");
    }
    if (!READS.contains(request.getMethod()) && !caller.get().role().mayChange()) {
      log.info(
          "refused {} {} to viewer token {}",
          request.getMethod(),
          request.getPath(),
          caller.get().name());
      return HttpResponse.status(HttpStatus.FORBIDDEN)
          .contentType(MediaType.APPLICATION_JSON_TYPE)
          .body(
              ApiError.of(
                  "FORBIDDEN",
                  "token "
                      + caller.get().name()
                      + " has role viewer; "
                      + request.getMethod()
                      + " "
                      + request.getPath()
                      + " needs an operator token"));
    }
    request.setAttribute(Caller.ATTRIBUTE, caller.get());
    return null;
  }

  private static HttpResponse<?> unauthenticated(HttpRequest<?> request, String message) {
    log.info("refused {} {}: {}", request.getMethod(), request.getPath(), message);
    return HttpResponse.status(HttpStatus.UNAUTHORIZED)
        .header(HttpHeaders.WWW_AUTHENTICATE, "Bearer realm=\"vigil\"")
        .contentType(MediaType.APPLICATION_JSON_TYPE)
        .body(ApiError.of("UNAUTHENTICATED", message));
  }
}
