package dev.vigil.workflows.backup;

import io.temporal.activity.ActivityInterface;

/**
 * Backup steps that any worker can run: they need the catalog and the object store, not a spool.
 * Every method is safe to retry.
 */
@ActivityInterface
public interface BackupActivities {

  /** The worker's configured sources for a plan, without secrets; fails on unknown names. */
  ResolvedPlan resolvePlan(PlanRequest request);

  /** The host of the worker that runs this activity, and the task queue only it polls. */
  HostQueue reserveHost();

  /** Opens (or re-opens, on retry) the catalog record in state RUNNING. */
  void beginBackup(BackupStart start);

  /** Reads the stored object back and checks its size and SHA-256. */
  UploadVerification verifyUpload(VerifyUploadRequest request);

  /** Marks the backup ARCHIVED with everything known about it. Idempotent. */
  void markArchived(ArchiveRequest request);

  /** Marks the backup FAILED with its reason; never overwrites ARCHIVED. Idempotent. */
  void markFailed(FailRequest request);

  /**
   * Writes the backup-set manifest beside the backups and records the set in the catalog, with the
   * step timings of the backups it ran.
   */
  BackupSetRecord recordBackupSet(BackupSetRequest request);
}
