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
 * @param repository the repository the backup was read from (null in results from before copies)
 * @param readNote why that is not the primary (a fallback to a verified copy); null otherwise
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
    RecoveredPoint recovered,
    String repository,
    String readNote) {

  /** A result that does not say which repository was read. */
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
      String failure,
      RecoveredPoint recovered) {
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
        recovered,
        null,
        null);
  }

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
