package dev.vigil.workflows.restore;

/**
 * What the verified manifest says the backup holds.
 *
 * @param entries tables (database) or files, directories and links (directory)
 * @param totalRows rows over all tables at backup time; 0 for directories
 */
public record VerifiedBackup(String format, long entries, long totalRows) {}
