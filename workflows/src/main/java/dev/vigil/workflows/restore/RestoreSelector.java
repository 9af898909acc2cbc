package dev.vigil.workflows.restore;

/**
 * Which backup to restore: by id, or the newest {@code ARCHIVED} backup of a source taken at or
 * before a time, or the newest of all.
 *
 * @param source the source name (required unless {@code backupId} is given)
 * @param backupId a backup id, or null
 * @param atMillis newest backup consistent at or before this epoch time; 0 for the latest
 * @param recovery how far a physical backup replays the archived WAL; null for the default (to
 *     {@code atMillis} if given, else to the end of the archive). An LSN target also chooses the
 *     newest base backup that ends at or before it.
 * @param repository the repository to read from: the source's own (null: the primary, falling back
 *     to a verified copy when the primary cannot be reached) or one of its copy repositories, where
 *     only backups with a VERIFIED copy count
 */
public record RestoreSelector(
    String source, String backupId, long atMillis, RecoveryTarget recovery, String repository) {

  /** A selector that reads from the primary repository (or its fallback). */
  public RestoreSelector(String source, String backupId, long atMillis, RecoveryTarget recovery) {
    this(source, backupId, atMillis, recovery, null);
  }

  /** A selector without an explicit recovery target. */
  public RestoreSelector(String source, String backupId, long atMillis) {
    this(source, backupId, atMillis, null);
  }

  /** The latest archived backup of {@code source}. */
  public static RestoreSelector latest(String source) {
    return new RestoreSelector(source, null, 0);
  }
}
