package dev.vigil.workflows.retention;

import java.util.List;

/**
 * Everything retention would do for one source.
 *
 * @param wal for a source with physical backups, the archived WAL that would go; null otherwise
 * @param copyRepositories the source's copy repositories, whose copies retention prunes on their
 *     own; empty (or null, in histories from before copies) for a source without copies
 */
public record SourcePlan(
    String source,
    String kind,
    List<RetentionDecision> decisions,
    List<LocalArtifactDecision> localArtifacts,
    List<RowMonth> rowMonths,
    WalExpiry wal,
    List<String> copyRepositories) {

  /** A plan of a source without copies. */
  public SourcePlan(
      String source,
      String kind,
      List<RetentionDecision> decisions,
      List<LocalArtifactDecision> localArtifacts,
      List<RowMonth> rowMonths,
      WalExpiry wal) {
    this(source, kind, decisions, localArtifacts, rowMonths, wal, List.of());
  }

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
