package dev.vigil.workflows.restore;

import dev.vigil.workflows.common.StepTiming;
import java.util.List;

/**
 * A restored and validated backup.
 *
 * @param status {@code RESTORED} (validated) or {@code FAILED}
 * @param consistentAtMillis the point in time the restored data is consistent as of
 * @param target where it went, as restored (e.g. the fresh cluster's host and port)
 * @param recovered where WAL replay ended, for a point-in-time restore of a base backup; else null
 */
public record RestoreResult(
    String backupId,
    String source,
    String kind,
    String status,
    long storedBytes,
    long rawBytes,
    long consistentAtMillis,
    RestoreTarget target,
    ValidationResult validation,
    List<StepTiming> steps,
    long startedAtMillis,
    long finishedAtMillis,
    String failure,
    RecoveredPoint recovered) {

  /** A result without WAL replay. */
  public RestoreResult(
      String backupId,
      String source,
      String kind,
      String status,
      long storedBytes,
      long rawBytes,
      long consistentAtMillis,
      RestoreTarget target,
      ValidationResult validation,
      List<StepTiming> steps,
      long startedAtMillis,
      long finishedAtMillis,
      String failure) {
    this(
        backupId,
        source,
        kind,
        status,
        storedBytes,
        rawBytes,
        consistentAtMillis,
        target,
        validation,
        steps,
        startedAtMillis,
        finishedAtMillis,
        failure,
        null);
  }
}
