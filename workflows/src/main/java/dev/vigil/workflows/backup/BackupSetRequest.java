package dev.vigil.workflows.backup;

import java.util.List;

/** Write the backup-set manifest that groups one plan run's backups. */
public record BackupSetRequest(
    String setId,
    String plan,
    String triggeredBy,
    long startedAtMillis,
    long finishedAtMillis,
    List<SourceBackupResult> results) {}
