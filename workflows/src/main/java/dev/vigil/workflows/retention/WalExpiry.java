package dev.vigil.workflows.retention;

/**
 * The archived WAL of a physical source that no kept base backup needs: everything before the start
 * segment of the oldest kept verified base backup (history files are always kept).
 *
 * @param keepFrom the first segment kept (24 hex digits), or null when nothing can go
 * @param keptFor the base backup whose start segment {@code keepFrom} is
 * @param segments how many whole segments go
 * @param otherFiles how many backup labels and partial segments go with them
 * @param storedBytes their stored size
 * @param note why nothing goes, when {@code keepFrom} is null
 */
public record WalExpiry(
    String source,
    String keepFrom,
    String keptFor,
    long segments,
    long otherFiles,
    long storedBytes,
    String note) {

  /** One line for plans and run reports. */
  public String summary() {
    if (keepFrom == null) {
      return "WAL: nothing to delete (" + note + ")";
    }
    return "WAL: "
        + segments
        + (segments == 1 ? " segment" : " segments")
        + (otherFiles > 0 ? " and " + otherFiles + " labels/partial files" : "")
        + " before "
        + keepFrom
        + " (kept for backup "
        + keptFor
        + ")";
  }
}
