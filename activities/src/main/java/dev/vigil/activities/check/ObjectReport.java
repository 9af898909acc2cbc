package dev.vigil.activities.check;

import java.util.List;

/**
 * What the catalog-against-repository check found, per source, with the totals of its summary.
 *
 * @param results per source: {@code objects} (and {@code data} when objects were read back); set
 *     manifests under source {@code -}, check {@code sets}
 * @param backups ARCHIVED backups checked
 * @param objects stored objects found where the catalog expects them
 * @param bytes their total size
 * @param setManifests set manifests the catalog expects
 * @param read backups read back
 * @param notRead backups not read back (in an archive storage class)
 * @param bytesRead stored bytes read back
 */
public record ObjectReport(
    List<CheckResult> results,
    int backups,
    int objects,
    long bytes,
    int setManifests,
    int read,
    int notRead,
    long bytesRead) {}
