package dev.vigil.workflows.drill;

/** One archived backup of the set a drill restores. */
public record DrillBackup(
    String source, String backupId, long storedBytes, long rawBytes, long consistentAtMillis) {}
