package dev.vigil.workflows.retention;

/**
 * A finished rehydration.
 *
 * @param restoreRequested whether a cold restore had to be requested
 * @param polls how many times the workflow checked readability
 * @param waitedMillis time spent waiting for the store to make the object readable
 */
public record RehydrateResult(
    String backupId,
    String source,
    String targetDir,
    long files,
    long bytes,
    boolean restoreRequested,
    int polls,
    long waitedMillis) {}
