package dev.vigil.workflows.restore;

/**
 * Download a backup's stored object into the restore's spool directory.
 *
 * @param into the restore step's request, if the download may load the data into that target as it
 *     arrives (a database restore creates its database and loads the rows during the download; the
 *     restore step then builds the rest); null for a download only (a PITR's base backup, a request
 *     recorded before this field existed)
 */
public record DownloadRequest(String restoreId, SelectedBackup backup, RestoreDataRequest into) {
  /** A download only. */
  public DownloadRequest(String restoreId, SelectedBackup backup) {
    this(restoreId, backup, null);
  }
}
