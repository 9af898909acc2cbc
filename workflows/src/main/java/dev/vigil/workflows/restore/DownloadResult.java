package dev.vigil.workflows.restore;

/**
 * A downloaded object in the spool.
 *
 * @param file the spool file (host-local path)
 * @param sha256 hex SHA-256 of every byte of the file, resumed prefix included
 * @param resumedFromBytes bytes an earlier attempt had already downloaded; 0 for a fresh start
 */
public record DownloadResult(String file, long bytes, String sha256, long resumedFromBytes) {}
