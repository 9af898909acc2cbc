package dev.vigil.workflows.backup;

/** Back up one source as part of backup set {@code setId}. */
public record SourceBackupRequest(
    String backupId, String setId, SourceRef source, String triggeredBy) {}
