package dev.vigil.workflows.restore;

import io.temporal.activity.ActivityInterface;

/** Restore steps any worker can run: they need the catalog, not a spool. Safe to retry. */
@ActivityInterface
public interface RestoreActivities {

  /**
   * The archived backup {@code selector} names; BACKUP_NOT_FOUND with what exists when none
   * matches.
   */
  SelectedBackup selectBackup(RestoreSelector selector);

  /** Writes the restore's outcome into the catalog; a repeat overwrites the same row. */
  void recordRestore(RestoreRecord record);
}
