package dev.vigil.workflows.restore;

/**
 * The archived WAL a point-in-time restore fetched into its spool: segment names only.
 *
 * @param first the base backup's start segment, or null when nothing is archived from it on
 * @param last the last segment fetched
 * @param segments how many were fetched (0: the base backup's own WAL only)
 * @param bytes their size as PostgreSQL wrote them
 * @param lastCommitMillis the last commit time in the fetched WAL, 0 if none was found
 * @param lastCommitSegment the segment holding that commit
 * @param note what the restore should know, e.g. a gap that ends the chain; null if nothing
 */
public record WalRange(
    String first,
    String last,
    int segments,
    long bytes,
    long lastCommitMillis,
    String lastCommitSegment,
    String note) {}
