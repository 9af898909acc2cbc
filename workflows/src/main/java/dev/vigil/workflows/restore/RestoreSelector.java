package dev.vigil.workflows.restore;

/**
 * Which backup to restore: by id, or the newest {@code ARCHIVED} backup of a source taken at or
 * before a time, or the newest of all.
 *
 * @param source the source name (required unless {@code backupId} is given)
 * @param backupId a backup id, or null
 * @param atMillis newest backup consistent at or before this epoch time; 0 for the latest
 */
public record RestoreSelector(String source, String backupId, long atMillis) {
  /** The latest archived backup of {@code source}. */
  public static RestoreSelector latest(String source) {
    return new RestoreSelector(source, null, 0);
  }
}
