package dev.vigil.workflows.retention;

import java.util.List;

/** Everything retention would do for one source. */
public record SourcePlan(
    String source,
    String kind,
    List<RetentionDecision> decisions,
    List<LocalArtifactDecision> localArtifacts,
    List<RowMonth> rowMonths) {}
