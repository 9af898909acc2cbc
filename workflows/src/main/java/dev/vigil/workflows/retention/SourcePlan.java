package dev.vigil.workflows.retention;

import java.util.List;

/**
 * Everything retention would do for one source.
 *
 * @param wal for a source with physical backups, the archived WAL that would go; null otherwise
 */
public record SourcePlan(
    String source,
    String kind,
    List<RetentionDecision> decisions,
    List<LocalArtifactDecision> localArtifacts,
    List<RowMonth> rowMonths,
    WalExpiry wal) {

  /** A plan of a source without archived WAL. */
  public SourcePlan(
      String source,
      String kind,
      List<RetentionDecision> decisions,
      List<LocalArtifactDecision> localArtifacts,
      List<RowMonth> rowMonths) {
    this(source, kind, decisions, localArtifacts, rowMonths, null);
  }
}
