package dev.vigil.activities.source;

/**
 * One entry of a directory backup, as recorded in its manifest.
 *
 * @param type {@code file}, {@code dir} or {@code symlink}
 * @param sha256 hex SHA-256 of a file's content; null for dirs and symlinks
 * @param linkTarget a symlink's target as stored; null otherwise
 */
public record FileEntry(
    String path,
    String type,
    long size,
    String sha256,
    int mode,
    long mtimeMillis,
    String linkTarget) {}
