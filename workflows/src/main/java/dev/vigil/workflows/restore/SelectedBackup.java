package dev.vigil.workflows.restore;

import dev.vigil.workflows.backup.SourceRef;

/**
 * The archived backup a restore reads, as the catalog records it: references and checksums only.
 *
 * @param setId the plan run the backup belongs to
 * @param sha256 hex SHA-256 of the stored object, checked before anything is decrypted
 * @param format {@code pg_dump-custom}, {@code tar} or {@code pg_basebackup-tar}
 * @param startLsn where a base backup's WAL replay starts; null for other backups
 * @param stopLsn where a base backup is consistent; null for other backups
 * @param timeline a base backup's timeline; 0 for other backups
 * @param readNote why the backup is read from {@code source.repository()} rather than its primary
 *     repository (a fallback to a verified copy); null when it is read where it was asked for
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
    String format,
    String startLsn,
    String stopLsn,
    int timeline,
    String readNote) {

  /** A backup read from the repository it was asked for. */
  public SelectedBackup(
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
      String format,
      String startLsn,
      String stopLsn,
      int timeline) {
    this(
        backupId,
        setId,
        source,
        bucket,
        objectKey,
        manifestKey,
        sha256,
        storedBytes,
        rawBytes,
        consistentAtMillis,
        keyId,
        format,
        startLsn,
        stopLsn,
        timeline,
        null);
  }

  /** The same backup read from another repository's copy (same keys), saying why. */
  public SelectedBackup readFrom(String repository, String copyBucket, String note) {
    return new SelectedBackup(
        backupId,
        setId,
        new SourceRef(source.name(), source.type(), source.kind(), repository),
        copyBucket,
        objectKey,
        manifestKey,
        sha256,
        storedBytes,
        rawBytes,
        consistentAtMillis,
        keyId,
        format,
        startLsn,
        stopLsn,
        timeline,
        note);
  }

  /** A backup that is not a physical base backup. */
  public SelectedBackup(
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
      String format) {
    this(
        backupId,
        setId,
        source,
        bucket,
        objectKey,
        manifestKey,
        sha256,
        storedBytes,
        rawBytes,
        consistentAtMillis,
        keyId,
        format,
        null,
        null,
        0);
  }
}
