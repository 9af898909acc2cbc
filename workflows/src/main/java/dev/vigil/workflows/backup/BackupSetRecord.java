package dev.vigil.workflows.backup;

/** Where the backup-set manifest was written, and the set's status. */
public record BackupSetRecord(String setId, String status, String manifestKey) {}
