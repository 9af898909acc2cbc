package dev.vigil.workflows.restore;

/**
 * Start a fresh cluster on an unsealed base backup and replay the fetched WAL up to {@code
 * recovery}, then promote it.
 */
public record RecoveryRequest(
    String restoreId,
    SelectedBackup backup,
    RestoreTarget target,
    RecoveryTarget recovery,
    WalRange wal) {}
