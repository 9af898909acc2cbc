package dev.vigil.workflows.retention;

import java.util.List;

/**
 * What a run did for one source.
 *
 * @param plan the plan it computed (null if planning failed)
 * @param applied one line per action carried out
 * @param failures one line per action that failed (the rest still ran)
 * @param rowsArchived rows marked archived in this run
 */
public record SourceRetentionResult(
    String source,
    SourcePlan plan,
    List<String> applied,
    List<String> failures,
    long rowsArchived) {}
