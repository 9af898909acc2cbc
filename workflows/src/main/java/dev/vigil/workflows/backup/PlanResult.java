package dev.vigil.workflows.backup;

import dev.vigil.workflows.copy.CopyReport;
import java.util.List;

/**
 * One backup set: the recoverable unit across database, models, datasets and config.
 *
 * @param copies what the run copied to second repositories (empty when no source is copied); a
 *     failed copy does not change {@code status}
 */
public record PlanResult(
    String setId,
    String plan,
    String status,
    String manifestKey,
    long startedAtMillis,
    long finishedAtMillis,
    List<SourceBackupResult> results,
    List<CopyReport> copies) {

  /** A run without copies. */
  public PlanResult(
      String setId,
      String plan,
      String status,
      String manifestKey,
      long startedAtMillis,
      long finishedAtMillis,
      List<SourceBackupResult> results) {
    this(setId, plan, status, manifestKey, startedAtMillis, finishedAtMillis, results, List.of());
  }

  /** True only if every source ended archived and verified. */
  public boolean complete() {
    return "COMPLETE".equals(status);
  }
}
