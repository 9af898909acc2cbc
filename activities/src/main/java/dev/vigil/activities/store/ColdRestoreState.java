package dev.vigil.activities.store;

/** Whether an object in an archive storage class can be read. */
public enum ColdRestoreState {
  /** Readable now (not archived, or restored). */
  READABLE,
  /** A restore was requested and is not finished. */
  IN_PROGRESS,
  /** Archived and no restore is running. */
  ARCHIVED,
  /** The store has no restore API (S3Mock, some S3-compatible stores): reads decide. */
  UNSUPPORTED
}
