package dev.vigil.workflows.retention;

/**
 * Asks for one source's plan at {@code nowMillis}.
 *
 * @param record whether to write the decisions to the catalog's decision log (not for dry runs)
 */
public record RetentionPlanRequest(String runId, String source, long nowMillis, boolean record) {}
