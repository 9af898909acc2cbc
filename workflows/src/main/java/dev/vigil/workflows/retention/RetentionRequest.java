package dev.vigil.workflows.retention;

import java.util.List;

/**
 * A retention run.
 *
 * @param sources the sources to apply retention to; empty for every source with a policy
 * @param dryRun compute and return the plan only; change nothing
 * @param requestedAtMillis the time the run id is derived from; 0 for the run's start (schedules)
 */
public record RetentionRequest(
    List<String> sources, boolean dryRun, long requestedAtMillis, String triggeredBy) {}
