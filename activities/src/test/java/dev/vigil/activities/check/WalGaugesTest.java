package dev.vigil.activities.check;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vigil.activities.wal.WalStatus;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class WalGaugesTest {
  private Instant now = Instant.parse("2026-12-03T10:00:00Z");
  private final AtomicInteger listings = new AtomicInteger();
  private boolean storeDown;

  private WalStatus list(String source) {
    listings.incrementAndGet();
    if (storeDown) {
      throw new IllegalStateException("repository 'main' is unreachable");
    }
    return new WalStatus(
        source, "a", "b", "c", 3, listings.get(), Instant.ofEpochSecond(1_000), List.of());
  }

  @Test
  void scrapesWithinTheRefreshIntervalListTheArchiveOnceAndAFailedListingKeepsTheLastValues() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    Clock clock =
        new Clock() {
          @Override
          public Instant instant() {
            return now;
          }

          @Override
          public ZoneOffset getZone() {
            return ZoneOffset.UTC;
          }

          @Override
          public Clock withZone(java.time.ZoneId zone) {
            return this;
          }
        };
    new WalGauges(List.of("appdb"), this::list, clock, Duration.ofMinutes(1)).bindTo(registry);

    for (int scrape = 0; scrape < 4; scrape++) {
      assertThat(registry.get("vigil.wal.gap.segments").tag("source", "appdb").gauge().value())
          .isEqualTo(1);
      assertThat(
              registry
                  .get("vigil.wal.last.archived.timestamp.seconds")
                  .tag("source", "appdb")
                  .gauge()
                  .value())
          .isEqualTo(1_000);
    }
    assertThat(listings).hasValue(1);

    now = now.plusSeconds(61);
    storeDown = true;

    assertThat(registry.get("vigil.wal.gap.segments").tag("source", "appdb").gauge().value())
        .isEqualTo(1);
    assertThat(listings).hasValue(2);
  }
}
