package dev.vigil.workflows.backup;

import java.util.List;

/** One backup set: the recoverable unit across database, models, datasets and config. */
public record PlanResult(
    String setId,
    String plan,
    String status,
    String manifestKey,
    long startedAtMillis,
    long finishedAtMillis,
    List<SourceBackupResult> results) {

  /** True only if every source ended archived and verified. */
  public boolean complete() {
    return "COMPLETE".equals(status);
  }
}
