package dev.vigil.workflows.copy;

/**
 * One thing to copy to one repository: a backup (its data object and manifest) or a backup set's
 * manifest. Only references and the catalog's figures.
 *
 * @param itemKind {@link #BACKUP} or {@link #SET}
 * @param itemId the backup id or the set id
 * @param source the backup's source; for a set, the source whose copy repository it goes to
 * @param fromRepository the primary repository the objects are read from
 * @param toRepository the copy repository
 * @param objectKey the data object (a backup) or the set manifest (a set); copies keep the key
 * @param manifestKey the backup's manifest; null for a set
 * @param storedBytes the data object's size as the catalog recorded it; -1 for a set manifest
 * @param sha256 the data object's hex SHA-256 as the catalog recorded it; null for a set manifest
 */
public record CopyTask(
    String itemKind,
    String itemId,
    String source,
    String fromRepository,
    String toRepository,
    String objectKey,
    String manifestKey,
    long storedBytes,
    String sha256) {
  public static final String BACKUP = "backup";
  public static final String SET = "set";

  /** For messages and logs: {@code backup appdb-2026… → offsite}. */
  public String describe() {
    return itemKind + " " + itemId + " → " + toRepository;
  }
}
