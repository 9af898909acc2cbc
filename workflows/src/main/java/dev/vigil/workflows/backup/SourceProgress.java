package dev.vigil.workflows.backup;

/** What a running backup is doing now, for queries and the CLI. */
public record SourceProgress(String backupId, String source, String step, String status) {}
