package dev.vigil.workflows.restore;

import dev.vigil.workflows.backup.SourceRef;

/**
 * The archived backup a restore reads, as the catalog records it: references and checksums only.
 *
 * @param setId the plan run the backup belongs to
 * @param sha256 hex SHA-256 of the stored object, checked before anything is decrypted
 * @param format {@code pg_dump-custom} or {@code tar}
 */
public record SelectedBackup(
    String backupId,
    String setId,
    SourceRef source,
    String bucket,
    String objectKey,
    String manifestKey,
    String sha256,
    long storedBytes,
    long rawBytes,
    long consistentAtMillis,
    String keyId,
    String format) {}
