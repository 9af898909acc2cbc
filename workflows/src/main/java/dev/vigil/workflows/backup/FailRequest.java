package dev.vigil.workflows.backup;

/** Record a backup as FAILED with the reason a person can act on. */
public record FailRequest(String backupId, String failureType, String reason) {}
