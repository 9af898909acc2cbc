package dev.vigil.workflows.restore;

/**
 * Check that the archived WAL reaches {@code recovery} from the base backup's start, then fetch
 * that contiguous chain into the restore's spool directory.
 */
public record WalFetchRequest(String restoreId, SelectedBackup backup, RecoveryTarget recovery) {}
