package dev.vigil.workflows.restore;

/**
 * Restore the unsealed dump or archive into its target.
 *
 * @param parallelJobs pg_restore {@code -j}; 0 for the default
 */
public record RestoreDataRequest(
    String restoreId,
    SelectedBackup backup,
    RestoreTarget target,
    boolean force,
    int parallelJobs) {}
