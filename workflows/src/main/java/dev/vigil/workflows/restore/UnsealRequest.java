package dev.vigil.workflows.restore;

/** Decrypt and decompress the verified object into a spool file the restore step reads. */
public record UnsealRequest(String restoreId, SelectedBackup backup) {}
