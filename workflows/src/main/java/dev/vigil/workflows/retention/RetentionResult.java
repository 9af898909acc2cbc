package dev.vigil.workflows.retention;

import java.util.List;

/** A retention run's outcome per source. */
public record RetentionResult(String runId, boolean dryRun, List<SourceRetentionResult> sources) {

  /** Whether every action of every source succeeded. */
  public boolean succeeded() {
    return sources.stream().allMatch(source -> source.failures().isEmpty());
  }
}
