package dev.vigil.activities.source;

import dev.vigil.activities.backup.DumpMeta;
import java.time.Instant;

/**
 * What a driver's dump produced, for the steps after it.
 *
 * @param meta the raw file, side file and warnings, written to the spool for the later steps
 * @param rawBytes the raw dump's size
 * @param entries tables, files, collections, keys…: what the manifest counts
 * @param totalRows rows or documents when the kind counts them, else 0
 * @param consistentAt the point in time the backup represents
 * @param toolVersion the dumping tool and its version
 * @param serverVersion the source server's version, or null
 */
public record SourceDump(
    DumpMeta meta,
    long rawBytes,
    long entries,
    long totalRows,
    Instant consistentAt,
    String toolVersion,
    String serverVersion) {}
