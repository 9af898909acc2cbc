package dev.vigil.workflows.retention;

/** What retention does with one backup. */
public enum RetentionAction {
  /** Leave it where it is. */
  KEEP,
  /** Copy it to the cold storage class, verify the copy, then remove the hot copy. */
  ARCHIVE,
  /** Delete its objects, then mark it PRUNED in the catalog. */
  PRUNE
}
