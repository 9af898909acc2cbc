package dev.vigil.workflows.backup;

import io.temporal.activity.ActivityInterface;

/**
 * Backup steps that read or write the spool, so they run on the host that holds it (its own task
 * queue). Long ones heartbeat; {@link #upload} resumes from its heartbeat details.
 */
@ActivityInterface
public interface SpoolActivities {

  /** Writes a consistent copy of the source into the spool. Starts afresh on retry. */
  DumpResult dump(DumpRequest request);

  /** Checks the dump is readable and non-empty and compares its size with the previous one. */
  VerifyDumpResult verifyDump(VerifyDumpRequest request);

  /** Compresses and encrypts the dump, hashing the stored bytes; removes the raw dump. */
  SealResult seal(SealRequest request);

  /**
   * Uploads the sealed file (multipart, resumable) and the per-backup manifest, and records the
   * files or tables the manifest lists in the catalog (replacing them on a retry).
   */
  UploadResult upload(UploadRequest request);

  /** Removes the backup's spool directory. Safe when it is already gone. */
  void cleanSpool(String backupId);
}
