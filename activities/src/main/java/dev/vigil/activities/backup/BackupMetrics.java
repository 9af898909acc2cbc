package dev.vigil.activities.backup;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Metrics;

/**
 * Backup event counters, on a registry a metrics endpoint can expose. Prometheus shows {@code
 * backup.failures} as {@code backup_failures_total{source,kind,step}}; the alert rules and the
 * dashboard use that name.
 */
public final class BackupMetrics {
  private final MeterRegistry registry;

  /** Counters on Micrometer's global registry. */
  public BackupMetrics() {
    this(Metrics.globalRegistry);
  }

  public BackupMetrics(MeterRegistry registry) {
    this.registry = registry;
  }

  /** A backup was recorded FAILED (counted once, on the catalog's RUNNING → FAILED move). */
  public void failed(String source, String kind, String step) {
    Counter.builder("backup.failures")
        .description("Backups recorded FAILED, by the step that failed")
        .tag("source", source)
        .tag("kind", kind == null ? "unknown" : kind)
        .tag("step", step == null || step.isBlank() ? "unknown" : step)
        .register(registry)
        .increment();
  }

  /** The registry the counters live on. */
  public MeterRegistry registry() {
    return registry;
  }
}
