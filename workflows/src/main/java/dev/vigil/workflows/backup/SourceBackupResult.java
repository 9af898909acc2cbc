package dev.vigil.workflows.backup;

import dev.vigil.workflows.common.StepTiming;
import java.util.List;

/**
 * What one source's backup produced. Only references and figures: never data.
 *
 * @param status {@code ARCHIVED} or {@code FAILED}
 * @param failure the reason a failed backup gives, or null
 */
public record SourceBackupResult(
    String backupId,
    SourceRef source,
    String status,
    long rawBytes,
    long storedBytes,
    String sha256,
    String bucket,
    String objectKey,
    String manifestKey,
    String storageClass,
    String compression,
    long consistentAtMillis,
    List<String> warnings,
    List<StepTiming> steps,
    String failureType,
    String failure) {

  /** A failed backup of which only the reason is known. */
  public static SourceBackupResult failed(
      String backupId, SourceRef source, String failureType, String failure) {
    return new SourceBackupResult(
        backupId,
        source,
        "FAILED",
        0,
        0,
        null,
        null,
        null,
        null,
        null,
        null,
        0,
        List.of(),
        List.of(),
        failureType,
        failure);
  }

  /** Whether the backup was archived after its upload was verified. */
  public boolean archived() {
    return "ARCHIVED".equals(status);
  }
}
