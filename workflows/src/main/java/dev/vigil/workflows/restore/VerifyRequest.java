package dev.vigil.workflows.restore;

/** Check the downloaded object and the backup's manifest before anything is decrypted. */
public record VerifyRequest(String restoreId, SelectedBackup backup, DownloadResult download) {}
