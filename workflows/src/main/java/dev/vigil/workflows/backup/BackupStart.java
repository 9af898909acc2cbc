package dev.vigil.workflows.backup;

/** Opens a catalog record for a backup in state RUNNING. */
public record BackupStart(
    String backupId,
    String setId,
    SourceRef source,
    String workflowId,
    String runId,
    String hostId,
    String triggeredBy,
    long startedAtMillis) {}
