package dev.vigil.worker;

import com.uber.m3.tally.RootScopeBuilder;
import com.uber.m3.tally.Scope;
import com.uber.m3.tally.ScopeCloseException;
import com.uber.m3.util.Duration;
import io.micrometer.core.instrument.Metrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.temporal.common.reporter.MicrometerClientStatsReporter;

/**
 * The worker's metrics: one Prometheus registry that holds Vigil's own counters (added to
 * Micrometer's global registry, where {@code RetentionMetrics} and {@code BackupMetrics} count) and
 * the Temporal SDK's worker metrics (through a tally scope set on the service stubs).
 */
public final class WorkerTelemetry implements AutoCloseable {
  /** How often the SDK's tally scope reports to Micrometer. */
  private static final Duration REPORT_EVERY = Duration.ofSeconds(1);

  private final PrometheusMeterRegistry registry;
  private final Scope temporalScope;

  private WorkerTelemetry(PrometheusMeterRegistry registry, Scope temporalScope) {
    this.registry = registry;
    this.temporalScope = temporalScope;
  }

  /** A registry joined to Micrometer's global one, and the scope for the Temporal SDK. */
  public static WorkerTelemetry start() {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
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
