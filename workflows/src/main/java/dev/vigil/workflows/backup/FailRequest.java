package dev.vigil.workflows.backup;

/**
 * Record a backup as FAILED with the reason a person can act on.
 *
 * @param step the step that failed ({@code dump}, {@code upload}, ...), for the failure metric
 */
public record FailRequest(String backupId, String failureType, String reason, String step) {
  /** A failure whose step is not known. */
  public FailRequest(String backupId, String failureType, String reason) {
    this(backupId, failureType, reason, null);
  }
}
