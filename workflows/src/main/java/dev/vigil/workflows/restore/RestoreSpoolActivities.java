package dev.vigil.workflows.restore;

import io.temporal.activity.ActivityInterface;

/**
 * Restore steps that read or write the restore's spool directory, so they run on the host that
 * holds it (its own task queue). Long ones heartbeat; {@link #downloadBackup} resumes from its
 * heartbeat details.
 */
@ActivityInterface
public interface RestoreSpoolActivities {

  /**
   * Checks the target before anything is downloaded, changing nothing: RESTORE_TARGET_FORBIDDEN for
   * a directory outside the worker's restore roots (on its real path), TARGET_NOT_EMPTY without
   * force, INVALID_CONFIG for a target of the wrong kind or one the worker cannot write.
   */
  void checkTarget(RestoreDataRequest request);

  /**
   * Downloads the stored object into the spool, resuming at the heartbeat's byte offset;
   * ENCRYPTION_KEY_INVALID first if the key the backup was sealed with is not configured.
   */
  DownloadResult downloadBackup(DownloadRequest request);

  /**
   * OBJECT_CORRUPT unless the download has the catalog's size and SHA-256; MANIFEST_INVALID unless
   * the manifest's HMAC verifies and it describes this backup; ENCRYPTION_KEY_INVALID if the key
   * the backup was sealed with is not configured.
   */
  VerifiedBackup verifyBackup(VerifyRequest request);

  /** Decrypts and decompresses the verified object into a spool file; removes the sealed file. */
  UnsealResult unsealBackup(UnsealRequest request);

  /**
   * Restores into the target and returns it as restored (a fresh cluster's host, port and password
   * file filled in). Checks the target again; UNSAFE_ARCHIVE_ENTRY for escaping entries, after
   * which the target is as it was.
   */
  RestoreTarget restoreBackup(RestoreDataRequest request);

  /**
   * For a point-in-time restore, before the base backup is downloaded: PITR_TARGET_UNREACHABLE
   * (naming the last reachable commit or the first missing segment) unless the archived WAL reaches
   * the target from the base backup's start segment without a gap; then fetches that chain into the
   * spool, each segment verified, a few at a time, resuming with what an earlier attempt fetched.
   */
  WalRange fetchWal(WalFetchRequest request);

  /**
   * Starts a fresh cluster on the unsealed base backup, replays the fetched WAL to the target
   * (restore_command copying from the spool, archiving off), waits for the promotion and checks the
   * server reached the target. PITR_TARGET_UNREACHABLE if PostgreSQL ends recovery before it.
   */
  RecoveredPoint recoverPhysical(RecoveryRequest request);

  /** Row counts, validation queries, or the directory tree against the manifest. */
  ValidationResult validateRestore(ValidateRequest request);

  /**
   * After a restore failed or was cancelled before its restore step completed: drops the database
   * this restore created to load the rows during the download (an earlier step's load, complete or
   * not, is worth nothing without the restore step), so a new restore into the same name starts
   * from nothing. Nothing for a target this restore did not create; safe to repeat.
   */
  void discardEarlyLoad(RestoreDataRequest request);

  /** Removes the restore's spool directory. Safe when it is already gone. */
  void cleanRestoreSpool(String restoreId);

  /**
   * Stops and deletes the fresh cluster a restore started on this host (or the temporary server of
   * a data directory restore, with its staging copy; the target is left as it was); absent is fine.
   */
  void stopFreshCluster(String restoreId);

  /**
   * Stops the temporary server of a physical backup restored into a data directory cleanly, removes
   * the recovery settings Vigil added and moves the directory into place; returns the target as
   * restored ({@code data-directory}, the directory only). RESTORE_FAILED if this worker has no
   * such server for the restore.
   */
  RestoreTarget finishDataDirectory(String restoreId);
}
