package dev.vigil.activities.check;

import dev.vigil.activities.wal.WalStatus;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The WAL archive of every physical source as Prometheus gauges: {@code
 * vigil_wal_last_archived_timestamp_seconds{source}} (when the store last wrote a segment; 0 when
 * none is archived) and {@code vigil_wal_gap_segments{source}} (segments missing from the chain
 * {@code vigil check} checks). A scrape lists each archive at most once per {@code refresh}
 * (default a minute), so scraping every 15 s costs four listings a minute, not one per scrape per
 * series; a listing that fails keeps the last values (and logs why).
 */
public final class WalGauges {
  /** How often a scrape may list the archives again. */
  public static final Duration DEFAULT_REFRESH = Duration.ofMinutes(1);

  private static final Logger log = LoggerFactory.getLogger(WalGauges.class);

  private final Function<String, WalStatus> check;
  private final List<String> sources;
  private final Clock clock;
  private final Duration refresh;
  private final Map<String, WalStatus> statuses = new HashMap<>();
  private Instant refreshedAt;

  /** Gauges of every physical source {@code checks} knows. */
  public WalGauges(RepositoryChecks checks, Clock clock, Duration refresh) {
    this(checks.physicalSources(), checks::wal, clock, refresh);
  }

  /**
   * @param sources the sources to export
   * @param check one source's status (one listing of its archive)
   */
  public WalGauges(
      List<String> sources, Function<String, WalStatus> check, Clock clock, Duration refresh) {
    this.sources = List.copyOf(sources);
    this.check = check;
    this.clock = clock;
    this.refresh = refresh;
  }

  /** Registers two gauges per physical source; none when there is no physical source. */
  public void bindTo(MeterRegistry registry) {
    for (String source : sources) {
      Gauge.builder(
              "vigil.wal.last.archived.timestamp.seconds",
              this,
              gauges -> gauges.lastArchived(source))
          .description("When the newest WAL segment of the source was archived (Unix seconds)")
          .tag("source", source)
          // Nothing else holds this object: a weak reference would leave NaN after a GC.
          .strongReference(true)
          .register(registry);
      Gauge.builder("vigil.wal.gap.segments", this, gauges -> gauges.gapSegments(source))
          .description("WAL segments missing from the chain from the oldest kept base backup on")
          .tag("source", source)
          // Nothing else holds this object: a weak reference would leave NaN after a GC.
          .strongReference(true)
          .register(registry);
    }
  }

  private double lastArchived(String source) {
    WalStatus status = status(source);
    if (status == null) {
      return Double.NaN;
    }
    return status.lastArchivedAt() == null ? 0 : status.lastArchivedAt().getEpochSecond();
  }

  private double gapSegments(String source) {
    WalStatus status = status(source);
    return status == null ? Double.NaN : status.gapSegments();
  }

  private synchronized WalStatus status(String source) {
    Instant now = clock.instant();
    if (refreshedAt == null || !now.isBefore(refreshedAt.plus(refresh))) {
      refreshedAt = now;
      for (String name : sources) {
        try {
          statuses.put(name, check.apply(name));
        } catch (RuntimeException e) {
          log.warn("WAL gauges of source {}: {}; the last values stay", name, e.getMessage());
        }
      }
    }
    return statuses.get(source);
  }
}
