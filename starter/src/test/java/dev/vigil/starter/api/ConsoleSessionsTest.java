package dev.vigil.starter.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class ConsoleSessionsTest {
  private final AtomicReference<Instant> now =
      new AtomicReference<>(Instant.parse("2026-12-03T08:00:00Z"));
  private final Clock clock =
      new Clock() {
        @Override
        public Instant instant() {
          return now.get();
        }

        @Override
        public java.time.ZoneId getZone() {
          return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
          return this;
        }
      };
  private final ConsoleSessions sessions = new ConsoleSessions(Duration.ofHours(8), clock);
  private final Caller viewer = new Caller("grafana", Role.VIEWER);

  @Test
  void aSessionIsFoundByItsRandomIdUntilItExpires() {
    String id = sessions.open(viewer);

    assertThat(id).matches("[A-Za-z0-9_-]{43}");
    assertThat(sessions.find(id)).hasValueSatisfying(s -> assertThat(s.caller()).isEqualTo(viewer));
    now.set(now.get().plus(Duration.ofHours(8)).minusSeconds(1));
    assertThat(sessions.find(id)).isPresent();
    now.set(now.get().plusSeconds(1));
    assertThat(sessions.find(id)).isEmpty();
  }

  @Test
  void logoutEndsOnlyThatSessionAndIdsAndCsrfTokensDiffer() {
    String first = sessions.open(viewer);
    String second = sessions.open(viewer);

    assertThat(first).isNotEqualTo(second);
    String csrf = sessions.find(first).orElseThrow().csrf();
    assertThat(csrf).isNotEqualTo(sessions.find(second).orElseThrow().csrf()).isNotEqualTo(first);
    sessions.close(first);
    assertThat(sessions.find(first)).isEmpty();
    assertThat(sessions.find(second)).isPresent();
  }

  @Test
  void theCsrfTokenMustMatchExactly() {
    ConsoleSessions.Session session = sessions.find(sessions.open(viewer)).orElseThrow();

    assertThat(ConsoleSessions.csrfMatches(session, session.csrf())).isTrue();
    assertThat(ConsoleSessions.csrfMatches(session, null)).isFalse();
    assertThat(ConsoleSessions.csrfMatches(session, "")).isFalse();
    assertThat(ConsoleSessions.csrfMatches(session, session.csrf() + "x")).isFalse();
  }

  @Test
  void unknownAndEmptyIdsFindNothing() {
    sessions.open(viewer);

    assertThat(sessions.find(null)).isEmpty();
    assertThat(sessions.find("")).isEmpty();
    assertThat(sessions.find("not-a-session")).isEmpty();
  }
}
