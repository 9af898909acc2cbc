package dev.vigil.starter.api;

import io.micronaut.context.annotation.Property;
import io.micronaut.context.annotation.Value;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpHeaders;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.MediaType;
import io.micronaut.http.MutableHttpResponse;
import io.micronaut.http.annotation.Body;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Get;
import io.micronaut.http.annotation.Post;
import io.micronaut.http.cookie.Cookie;
import io.micronaut.http.cookie.SameSite;
import io.micronaut.serde.annotation.Serdeable;
import io.swagger.v3.oas.annotations.Hidden;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The web console's pages and its login: {@code /console/} (the single page, which reads the JSON
 * API with the session cookie), {@code /console/login} and {@code /console/logout}. Its scripts and
 * styles are static resources under {@code /console/assets/} and {@code /console/lib/} (WebJars).
 *
 * <p>A token is typed once into the login form; the browser then only holds an HttpOnly,
 * SameSite=Strict cookie with a random session id ({@link ConsoleSessions}), so no token is ever in
 * a URL, in the page's script or in browser storage.
 */
@Controller("/console")
@Hidden
final class ConsoleController {
  private static final Logger log = LoggerFactory.getLogger(ConsoleController.class);
  private static final String PAGE = "/console/";

  /** Scripts only from this server; no frames; forms post only here. */
  private static final String CONTENT_SECURITY_POLICY =
      "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self'"
          + " data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'";

  /** What the console's script learns about its session and the installation. */
  @Serdeable
  record SessionView(
      String name,
      String role,
      String csrfToken,
      List<String> sources,
      List<String> drillPlans,
      Map<String, Long> rpoObjectiveMillis,
      @Nullable String temporalUiUrl,
      String namespace) {}

  private final TokenStore tokens;
  private final ConsoleSessions sessions;
  private final KnownNames known;
  private final TemporalProperties temporal;
  private final String temporalUiUrl;
  private final Map<String, Long> rpoObjectives;
  private final String index;

  ConsoleController(
      TokenStore tokens,
      ConsoleSessions sessions,
      KnownNames known,
      TemporalProperties temporal,
      @Value("${vigil.console.temporal-ui-url:}") String temporalUiUrl,
      @Nullable @Property(name = "vigil.console.source-rpo") List<String> sourceRpos) {
    this.tokens = tokens;
    this.sessions = sessions;
    this.known = known;
    this.temporal = temporal;
    this.temporalUiUrl = temporalUiUrl.isBlank() ? null : stripSlash(temporalUiUrl.strip());
    this.rpoObjectives = rpoObjectives(sourceRpos);
    this.index = resource("console-page/index.html");
  }

  @Get("/")
  HttpResponse<?> page(HttpRequest<?> request) {
    if (session(request).isEmpty()) {
      return HttpResponse.seeOther(URI.create("/console/login"));
    }
    return html(HttpResponse.ok(index));
  }

  @Get("/login")
  HttpResponse<?> loginPage(HttpRequest<?> request) {
    if (session(request).isPresent()) {
      return HttpResponse.seeOther(URI.create(PAGE));
    }
    return html(HttpResponse.ok(loginHtml(null)));
  }

  @Post(uri = "/login", consumes = MediaType.APPLICATION_FORM_URLENCODED)
  HttpResponse<?> login(HttpRequest<?> request, @Body("token") @Nullable String token) {
    if (!sameOrigin(request)) {
      return html(
          HttpResponse.status(HttpStatus.FORBIDDEN)
              .body(loginHtml("This login form was sent from another site; open it here.")));
    }
    Optional<Caller> caller = tokens.authenticate(token == null ? null : token.strip());
    if (caller.isEmpty()) {
      log.info("refused a console login: unknown token");
      return html(
          HttpResponse.status(HttpStatus.UNAUTHORIZED)
              .body(loginHtml("Unknown token. Use a token configured under api.tokens.")));
    }
    String id = sessions.open(caller.get());
    log.info(
        "console login of token {} (role {})",
        caller.get().name(),
        caller.get().role().name().toLowerCase(Locale.ROOT));
    return HttpResponse.seeOther(URI.create(PAGE))
        .cookie(cookie(request, id).maxAge(sessions.timeout()));
  }

  @Post("/logout")
  HttpResponse<?> logout(HttpRequest<?> request) {
    Optional<ConsoleSessions.Session> session = session(request);
    if (session.isPresent()
        && (!ConsoleSessions.csrfMatches(
                session.get(), request.getHeaders().get(ConsoleSessions.CSRF_HEADER))
            || !sameOrigin(request))) {
      return HttpResponse.status(HttpStatus.FORBIDDEN)
          .body(ApiError.of("FORBIDDEN", "logout needs the session's CSRF token"));
    }
    request
        .getCookies()
        .findCookie(ConsoleSessions.COOKIE)
        .ifPresent(c -> sessions.close(c.getValue()));
    return HttpResponse.noContent().cookie(cookie(request, "").maxAge(0));
  }

  @Get("/session")
  HttpResponse<?> sessionInfo(HttpRequest<?> request) {
    Optional<ConsoleSessions.Session> session = session(request);
    if (session.isEmpty()) {
      return HttpResponse.status(HttpStatus.UNAUTHORIZED)
          .body(ApiError.of("UNAUTHENTICATED", "no console session; log in at /console/login"));
    }
    Caller caller = session.get().caller();
    return HttpResponse.ok(
            new SessionView(
                caller.name(),
                caller.role().name().toLowerCase(Locale.ROOT),
                session.get().csrf(),
                known.sources() == null ? List.of() : known.sources(),
                known.drillPlans() == null ? List.of() : known.drillPlans(),
                rpoObjectives,
                temporalUiUrl,
                temporal.namespace()))
        .header(HttpHeaders.CACHE_CONTROL, "no-store");
  }

  /**
   * Whether a browser request comes from this site: no Origin header (same-origin GETs, older
   * browsers; the SameSite cookie and the CSRF header still protect), or an Origin whose host and
   * port are this request's Host (or X-Forwarded-Host behind a proxy).
   */
  static boolean sameOrigin(HttpRequest<?> request) {
    String origin = request.getHeaders().get("Origin");
    if (origin == null) {
      return true;
    }
    String authority;
    try {
      authority = new URI(origin).getRawAuthority();
    } catch (URISyntaxException e) {
      return false;
    }
    if (authority == null) {
      return false;
    }
    for (String host :
        new String[] {
          request.getHeaders().get(HttpHeaders.HOST), request.getHeaders().get("X-Forwarded-Host")
        }) {
      if (host != null && host.strip().equalsIgnoreCase(authority)) {
        return true;
      }
    }
    return false;
  }

  private Optional<ConsoleSessions.Session> session(HttpRequest<?> request) {
    return request
        .getCookies()
        .findCookie(ConsoleSessions.COOKIE)
        .flatMap(cookie -> sessions.find(cookie.getValue()));
  }

  private static Cookie cookie(HttpRequest<?> request, String value) {
    return Cookie.of(ConsoleSessions.COOKIE, value)
        .path("/")
        .httpOnly(true)
        .sameSite(SameSite.Strict)
        .secure(request.isSecure());
  }

  private static MutableHttpResponse<?> html(MutableHttpResponse<?> response) {
    return response
        .contentType(MediaType.TEXT_HTML_TYPE.toString() + ";charset=utf-8")
        .header("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        .header("X-Content-Type-Options", "nosniff")
        // same-origin, not no-referrer: with no-referrer a browser sends "Origin: null" on a form
        // post.
        .header("Referrer-Policy", "same-origin")
        .header(HttpHeaders.CACHE_CONTROL, "no-store");
  }

  private static String loginHtml(@Nullable String error) {
    String message =
        error == null
            ? ""
            : "<p class=\"error\" role=\"alert\" id=\"login-error\">" + escape(error) + "</p>\n";
    return """
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>Vigil console: log in</title>
        <link rel="stylesheet" href="/console/assets/console.css">
        </head>
        <body class="login">
        <main>
        <h1>Vigil</h1>
        <form method="post" action="/console/login">
        %s<label for="token">API token (viewer or operator)</label>
        <input id="token" name="token" type="password" autocomplete="current-password" required>
        <button type="submit">Log in</button>
        <p class="hint">The token stays on the server side: the browser keeps only a session
        cookie. Tokens are under <code>api.tokens</code> in vigil.yaml; <code>vigil up</code> writes
        them to <code>.vigil/up/secrets/</code>.</p>
        </form>
        </main>
        </body>
        </html>
        """
        .formatted(message);
  }

  /** {@code source=millis} entries (from vigil.yaml's objectives) as a map. */
  private static Map<String, Long> rpoObjectives(@Nullable List<String> entries) {
    Map<String, Long> objectives = new LinkedHashMap<>();
    for (String entry : entries == null ? List.<String>of() : entries) {
      int equals = entry.lastIndexOf('=');
      if (equals > 0) {
        objectives.put(entry.substring(0, equals), Long.parseLong(entry.substring(equals + 1)));
      }
    }
    return Map.copyOf(objectives);
  }

  private static String escape(String text) {
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
  }

  private static String stripSlash(String url) {
    return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
  }

  private static String resource(String name) {
    try (InputStream in = ConsoleController.class.getClassLoader().getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalStateException("the console page " + name + " is missing from the jar");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
