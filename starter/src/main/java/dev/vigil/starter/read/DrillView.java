package dev.vigil.starter.read;

import java.time.Instant;
import java.util.List;

/** One DR drill's report: status, measured RTO/RPO against objectives, and its components. */
public record DrillView(
    String drillId,
    String plan,
    String status,
    String setId,
    Instant startedAt,
    Instant finishedAt,
    long totalRtoMillis,
    long worstRpoMillis,
    long rtoObjectiveMillis,
    long rpoObjectiveMillis,
    List<String> failures,
    String triggeredBy,
    String workflowId,
    List<DrillComponentView> components) {}
