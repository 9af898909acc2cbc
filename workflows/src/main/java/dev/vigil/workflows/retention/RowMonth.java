package dev.vigil.workflows.retention;

/**
 * One monthly file of archived rows: the rows of {@code table} dated in {@code month} and older
 * than {@code cutoffMillis} that are not archived yet.
 *
 * @param table {@code schema.table}
 * @param month {@code yyyy-MM} (UTC)
 * @param objectKey where the file goes; derived from source, table, month and cutoff, so a retry
 *     writes the same key
 * @param rows rows found when planning (the file holds what is there when it is written)
 */
public record RowMonth(
    String source,
    String repository,
    String table,
    String month,
    long cutoffMillis,
    String objectKey,
    long rows) {}
