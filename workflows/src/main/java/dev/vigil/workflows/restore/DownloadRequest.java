package dev.vigil.workflows.restore;

/** Download a backup's stored object into the restore's spool directory. */
public record DownloadRequest(String restoreId, SelectedBackup backup) {}
