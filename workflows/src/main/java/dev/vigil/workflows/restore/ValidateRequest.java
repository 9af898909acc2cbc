package dev.vigil.workflows.restore;

/** Validate a restored copy against the backup's manifest and the source's validation queries. */
public record ValidateRequest(String restoreId, SelectedBackup backup, RestoreTarget target) {}
