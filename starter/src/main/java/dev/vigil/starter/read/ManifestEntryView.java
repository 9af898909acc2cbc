package dev.vigil.starter.read;

/**
 * One entry of a backup's manifest: a file, directory or symlink of a directory backup, or a table
 * of a database dump.
 *
 * @param name the path inside the backup, or {@code schema.table}
 * @param type {@code file}, {@code dir}, {@code symlink} or {@code table}
 * @param sizeBytes a file's size; null for tables
 * @param rows a table's row count at backup time; null for files
 * @param sha256 a file's hex SHA-256; null for directories, symlinks and tables
 */
public record ManifestEntryView(
    String name, String type, Long sizeBytes, Long rows, String sha256) {}
