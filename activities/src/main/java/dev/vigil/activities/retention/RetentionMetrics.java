package dev.vigil.activities.retention;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Metrics;

/**
 * Counters of what retention did, on a registry a metrics endpoint can expose. Names are
 * Micrometer's dotted form; Prometheus shows {@code models.archived} as {@code
 * models_archived_total}.
 */
public final class RetentionMetrics {
  private final MeterRegistry registry;

  /** Counters on Micrometer's global registry. */
  public RetentionMetrics() {
    this(Metrics.globalRegistry);
  }

  public RetentionMetrics(MeterRegistry registry) {
    this.registry = registry;
  }

  /** A backup's data object moved to a cold class. */
  public void archived(String source, String kind, long bytes) {
    counter("backups.archived", "Backups moved to a cold storage class", source, kind).increment();
    counter("bytes.archived", "Stored bytes moved to a cold storage class", source, kind)
        .increment(bytes);
    if ("model".equals(kind)) {
      counter("models.archived", "Model backups moved to a cold storage class", source, kind)
          .increment();
    }
  }

  /** A backup's objects were deleted and it is PRUNED. */
  public void pruned(String source, String kind, long bytes) {
    counter("backups.pruned", "Backups whose objects were deleted", source, kind).increment();
    counter("bytes.pruned", "Stored bytes deleted by pruning", source, kind).increment(bytes);
  }

  /** A local checkpoint directory was removed after its archived copy was confirmed. */
  public void localArtifactRemoved(String source, String type) {
    Counter.builder("checkpoints.removed")
        .description("Local model artifacts removed after their backup was confirmed")
        .tag("source", source)
        .tag("type", type)
        .register(registry)
        .increment();
  }

  /** Rows were marked archived after their file was verified. */
  public void rowsArchived(String source, String table, long rows) {
    Counter.builder("rows.archived")
        .description("Table rows written to verified archive files and marked archived")
        .tag("source", source)
        .tag("table", table)
        .register(registry)
        .increment(rows);
  }

  /** A backup was restored into a directory. */
  public void rehydrated(String source, boolean fromCold) {
    Counter.builder("rehydrations")
        .description("Archived backups restored into a directory")
        .tag("source", source)
        .tag("cold", Boolean.toString(fromCold))
        .register(registry)
        .increment();
  }

  /** The registry the counters live on. */
  public MeterRegistry registry() {
    return registry;
  }

  private Counter counter(String name, String description, String source, String kind) {
    return Counter.builder(name)
        .description(description)
        .tag("source", source)
        .tag("kind", kind == null ? "unknown" : kind)
        .register(registry);
  }
}
