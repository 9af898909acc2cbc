package dev.vigil.activities.catalog;

import dev.vigil.activities.source.PhysicalDump;
import dev.vigil.workflows.backup.ArchiveRequest;
import dev.vigil.workflows.backup.BackupSetRequest;
import dev.vigil.workflows.backup.BackupStart;
import dev.vigil.workflows.backup.FailRequest;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Vigil's record of every backup and backup set. Every write is idempotent, so an activity retry is
 * harmless. Failures are {@code VigilException}s (CATALOG_UNAVAILABLE, CATALOG_CONFLICT).
 */
public interface Catalog {

  /** Creates or upgrades the schema. */
  void migrate();

  /**
   * Inserts the backup as RUNNING; a retry of the same start (same workflow run) changes nothing.
   * DUPLICATE_RUN when another run already holds the backup id.
   */
  void beginBackup(BackupStart start);

  /** Raw size of the newest ARCHIVED backup of {@code source} other than {@code backupId}. */
  OptionalLong previousArchivedRawBytes(String source, String backupId);

  /**
   * Records a physical backup's start/stop LSN, timeline and times on its RUNNING row; a retried
   * dump overwrites them with its own.
   */
  void recordPhysical(String backupId, PhysicalDump dump);

  /** RUNNING or FAILED → ARCHIVED with every figure; ARCHIVED again is a no-op. */
  void markArchived(ArchiveRequest request);

  /**
   * RUNNING → FAILED with the reason; never touches an ARCHIVED backup. True only for the call that
   * made the move, so a retry is not counted twice.
   */
  boolean markFailed(FailRequest request);

  /**
   * As {@link #markFailed(FailRequest)}, only if the backup's row was begun by workflow run {@code
   * runId} (any run when null): a run refused as a duplicate of another's id never fails that one.
   */
  boolean markFailed(FailRequest request, String runId);

  /**
   * Records a backup set and links the backups it ran to it: never a {@code DUPLICATE_RUN} result
   * nor a backup another set began. Idempotent.
   */
  void recordBackupSet(BackupSetRequest request, String status, String manifestKey);

  /** One backup by id. */
  Optional<BackupRecord> find(String backupId);

  /** Backups, newest first; {@code source} null for all. */
  List<BackupRecord> list(String source);

  /** The backups still {@code RUNNING}, oldest first: running now, or left by a lost run. */
  List<BackupRecord> running();
}
