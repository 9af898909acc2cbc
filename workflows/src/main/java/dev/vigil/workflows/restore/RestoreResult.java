package dev.vigil.workflows.restore;

import dev.vigil.workflows.common.StepTiming;
import java.util.List;

/**
 * A restored and validated backup.
 *
 * @param status {@code RESTORED} (validated) or {@code FAILED}
 * @param consistentAtMillis the point in time the restored data is consistent as of
 * @param target where it went, as restored (e.g. the fresh cluster's host and port)
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
    String failure) {}
