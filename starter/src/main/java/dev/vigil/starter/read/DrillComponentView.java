package dev.vigil.starter.read;

import java.util.List;

/** One source a drill restored: which backup, how long it took, and whether it validated. */
public record DrillComponentView(
    String source,
    String kind,
    String backupId,
    String status,
    long storedBytes,
    long restoreMillis,
    long rtoMillis,
    long rpoMillis,
    long rtoObjectiveMillis,
    long rpoObjectiveMillis,
    String validation,
    List<String> failures,
    boolean passed) {}
