package dev.vigil.workflows.restore;

import dev.vigil.workflows.common.StepTiming;
import java.util.List;

/**
 * One restore as the catalog keeps it ({@code vigil.restore}). No secrets: the target names a
 * password file at most.
 *
 * @param backupId null when no backup was selected
 * @param status {@code RESTORED} or {@code FAILED}
 * @param failureType an {@code ErrorType} name, {@code CANCELLED}, or null
 */
public record RestoreRecord(
    String restoreId,
    String runId,
    String backupId,
    String source,
    RestoreTarget target,
    String status,
    long startedAtMillis,
    long finishedAtMillis,
    ValidationResult validation,
    List<StepTiming> steps,
    String failureType,
    String failure,
    String requestedBy) {}
