package dev.vigil.workflows.copy;

/**
 * What happened to one copy in a run.
 *
 * @param status {@code VERIFIED} or {@code FAILED}
 * @param failure the reason of a failed copy; null otherwise
 */
public record CopyReport(
    String itemKind, String itemId, String repository, String status, String failure) {

  /** Whether the copy was written and read back intact. */
  public boolean verified() {
    return "VERIFIED".equals(status);
  }
}
