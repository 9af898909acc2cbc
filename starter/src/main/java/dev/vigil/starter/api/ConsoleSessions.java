package dev.vigil.starter.api;

import io.micronaut.context.annotation.Value;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The web console's logins, in memory: a random session id (the HttpOnly cookie) stands for the
 * caller a token authenticated, so the token itself is sent once, at login, and never kept by the
 * browser. Each session has its own CSRF token that every state-changing console request must echo
 * in a header. Sessions end at logout, after {@code vigil.console.session-timeout} (default 8 h)
 * and when the API restarts (log in again).
 */
@Singleton
final class ConsoleSessions {
  /** The cookie holding the session id. */
  static final String COOKIE = "vigil_session";

  /** The header a console request that changes something must carry (the session's CSRF token). */
  static final String CSRF_HEADER = "X-Vigil-Csrf";

  /** One login: who, its CSRF token, and until when it is valid. */
  record Session(Caller caller, String csrf, Instant expiresAt) {}

  private static final SecureRandom RANDOM = new SecureRandom();

  private final Map<String, Session> sessions = new ConcurrentHashMap<>();
  private final Duration timeout;
  private final Clock clock;

  @Inject
  ConsoleSessions(@Value("${vigil.console.session-timeout:8h}") Duration timeout) {
    this(timeout, Clock.systemUTC());
  }

  ConsoleSessions(Duration timeout, Clock clock) {
    this.timeout = timeout;
    this.clock = clock;
  }

  /** Opens a session for {@code caller}; returns its id, the cookie's value. */
  String open(Caller caller) {
    Instant now = clock.instant();
    sessions.values().removeIf(session -> !session.expiresAt().isAfter(now));
    String id = randomToken();
    sessions.put(id, new Session(caller, randomToken(), now.plus(timeout)));
    return id;
  }

  /** The live session with this id, if any; an expired one is removed. */
  Optional<Session> find(String id) {
    if (id == null || id.isEmpty()) {
      return Optional.empty();
    }
    Session session = sessions.get(id);
    if (session == null) {
      return Optional.empty();
    }
    if (!session.expiresAt().isAfter(clock.instant())) {
      sessions.remove(id);
      return Optional.empty();
    }
    return Optional.of(session);
  }

  /** Ends the session with this id (logout); unknown ids are ignored. */
  void close(String id) {
    if (id != null) {
      sessions.remove(id);
    }
  }

  Duration timeout() {
    return timeout;
  }

  /** Whether {@code presented} is the session's CSRF token, compared in constant time. */
  static boolean csrfMatches(Session session, String presented) {
    return presented != null
        && MessageDigest.isEqual(
            session.csrf().getBytes(StandardCharsets.UTF_8),
            presented.getBytes(StandardCharsets.UTF_8));
  }

  private static String randomToken() {
    byte[] bytes = new byte[32];
    RANDOM.nextBytes(bytes);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }
}
