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
 * Authenticates everything under {@code /api/}: {@code Authorization: Bearer <token>}, or the web
 * console's session cookie ({@link ConsoleSessions}) with, for a request that changes something,
 * its CSRF header and this site's origin. A viewer may read (GET, HEAD, OPTIONS); any other method
 * needs an operator, so every endpoint that starts or changes something (runs today, schedules
 * later) is covered without marking it.
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
  private final ConsoleSessions sessions;

  BearerAuthFilter(TokenStore tokens, ConsoleSessions sessions) {
    this.tokens = tokens;
    this.sessions = sessions;
  }

  @RequestFilter
  @Nullable
  HttpResponse<?> authenticate(HttpRequest<?> request) {
    Optional<String> header = request.getHeaders().getAuthorization();
    if (header.isEmpty() && request.getCookies().contains(ConsoleSessions.COOKIE)) {
      return fromConsoleSession(request);
    }
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
    return authorize(request, caller.get());
  }

  /**
   * A request of the web console: its session cookie stands for the token it logged in with. A
   * request that changes something must also carry the session's CSRF token in a header (which
   * another site's page cannot set) and, if the browser sends an Origin, come from this host.
   */
  private HttpResponse<?> fromConsoleSession(HttpRequest<?> request) {
    Optional<ConsoleSessions.Session> session =
        request
            .getCookies()
            .findCookie(ConsoleSessions.COOKIE)
            .flatMap(cookie -> sessions.find(cookie.getValue()));
    if (session.isEmpty()) {
      return unauthenticated(
          request, "the console session has ended; log in again at /console/login");
    }
    if (!READS.contains(request.getMethod())
        && (!ConsoleSessions.csrfMatches(
                session.get(), request.getHeaders().get(ConsoleSessions.CSRF_HEADER))
            || !ConsoleController.sameOrigin(request))) {
      log.info(
          "refused {} {} from a console session of {}: missing or wrong CSRF token or origin",
          request.getMethod(),
          request.getPath(),
          session.get().caller().name());
      return HttpResponse.status(HttpStatus.FORBIDDEN)
          .contentType(MediaType.APPLICATION_JSON_TYPE)
          .body(
              ApiError.of(
                  "FORBIDDEN",
                  "a console request that changes something needs the session's "
                      + ConsoleSessions.CSRF_HEADER
                      + " header and this site's origin; reload the console"));
    }
    return authorize(request, session.get().caller());
  }

  @Nullable
  private static HttpResponse<?> authorize(HttpRequest<?> request, Caller caller) {
    if (!READS.contains(request.getMethod()) && !caller.role().mayChange()) {
      log.info(
          "refused {} {} to viewer token {}",
          request.getMethod(),
          request.getPath(),
          caller.name());
      return HttpResponse.status(HttpStatus.FORBIDDEN)
          .contentType(MediaType.APPLICATION_JSON_TYPE)
          .body(
              ApiError.of(
                  "FORBIDDEN",
                  "token "
                      + caller.name()
                      + " has role viewer; "
                      + request.getMethod()
                      + " "
                      + request.getPath()
                      + " needs an operator token"));
    }
    request.setAttribute(Caller.ATTRIBUTE, caller);
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
