package dev.vigil.worker;

import com.uber.m3.tally.RootScopeBuilder;
import com.uber.m3.tally.Scope;
import com.uber.m3.tally.ScopeCloseException;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Metrics;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.distribution.DistributionStatisticConfig;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.temporal.common.reporter.MicrometerClientStatsReporter;
import java.time.Duration;
import java.util.List;

/**
 * The worker's metrics: one Prometheus registry that holds Vigil's own counters (added to
 * Micrometer's global registry, where {@code RetentionMetrics} and {@code BackupMetrics} count) and
 * the Temporal SDK's worker metrics (through a tally scope set on the service stubs).
 */
public final class WorkerTelemetry implements AutoCloseable {
  /** How often the SDK's tally scope reports to Micrometer. */
  private static final com.uber.m3.util.Duration REPORT_EVERY =
      com.uber.m3.util.Duration.ofSeconds(1);

  private final PrometheusMeterRegistry registry;
  private final Scope temporalScope;

  private WorkerTelemetry(PrometheusMeterRegistry registry, Scope temporalScope) {
    this.registry = registry;
    this.temporalScope = temporalScope;
  }

  /**
   * Latency buckets for the SDK's timers. Micrometer's default histogram has about 70 buckets per
   * series, which made a scrape over a megabyte after a handful of runs; Vigil's steps last from
   * milliseconds to hours, and these answer "how long, roughly" at a tenth of the series.
   */
  static final List<Duration> TEMPORAL_LATENCY_BUCKETS =
      List.of(
          Duration.ofMillis(10),
          Duration.ofMillis(100),
          Duration.ofSeconds(1),
          Duration.ofSeconds(10),
          Duration.ofMinutes(1),
          Duration.ofMinutes(10),
          Duration.ofHours(1));

  /** A registry joined to Micrometer's global one, and the scope for the Temporal SDK. */
  public static WorkerTelemetry start() {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    registry.config().meterFilter(new TemporalLatencyBuckets());
    Metrics.addRegistry(registry);
    Scope scope =
        new RootScopeBuilder()
            .reporter(new MicrometerClientStatsReporter(registry))
            .reportEvery(REPORT_EVERY);
    return new WorkerTelemetry(registry, scope);
  }

  /** For {@code WorkflowServiceStubsOptions.Builder#setMetricsScope}. */
  public Scope temporalScope() {
    return temporalScope;
  }

  /** Everything in Prometheus' text format. */
  public String scrape() {
    return registry.scrape();
  }

  public PrometheusMeterRegistry registry() {
    return registry;
  }

  /** Replaces the SDK timers' fine-grained histogram with {@link #TEMPORAL_LATENCY_BUCKETS}. */
  private static final class TemporalLatencyBuckets implements MeterFilter {
    @Override
    public DistributionStatisticConfig configure(Meter.Id id, DistributionStatisticConfig config) {
      if (!id.getName().startsWith("temporal")) {
        return config;
      }
      return DistributionStatisticConfig.builder()
          .percentilesHistogram(false)
          .serviceLevelObjectives(
              TEMPORAL_LATENCY_BUCKETS.stream().mapToDouble(Duration::toNanos).toArray())
          .build()
          .merge(config);
    }
  }

  @Override
  public void close() {
    try {
      temporalScope.close();
    } catch (ScopeCloseException e) {
      // Only the last report is lost: the registry below is closed either way.
    }
    Metrics.removeRegistry(registry);
    registry.close();
  }
}
