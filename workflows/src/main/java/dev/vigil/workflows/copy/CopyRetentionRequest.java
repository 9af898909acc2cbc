package dev.vigil.workflows.copy;

/**
 * Retention of one source's copies in one repository.
 *
 * @param runId the retention run
 * @param nowMillis the run's "now" (workflow time)
 */
public record CopyRetentionRequest(
    String runId, String source, String repository, long nowMillis) {}
