package dev.vigil.starter.read;

import java.util.List;

/**
 * One page of a backup's manifest as the catalog records it, and the steps of its run.
 *
 * @param contents {@code files}, {@code tables}, or {@code none} when the catalog records no entry
 *     (a backup made before it did, a physical or non-SQL dump)
 * @param entryCount every entry of the backup
 * @param matching the entries {@code filter} matches (all of them without one)
 * @param entries at most {@code limit} of those, by name, from {@code offset}
 * @param steps the run's steps in order; empty when none were recorded
 */
public record ManifestPage(
    String backupId,
    String source,
    String contents,
    String filter,
    int offset,
    int limit,
    long entryCount,
    long matching,
    List<ManifestEntryView> entries,
    List<BackupStepView> steps) {}
