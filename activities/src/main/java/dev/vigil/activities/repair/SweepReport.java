package dev.vigil.activities.repair;

import java.util.List;

/**
 * What one sweep found and did.
 *
 * @param dryRun whether the sweep only reported
 * @param lines one line per orphaned backup and per spool directory, resolved or not
 * @param resolved orphaned backups marked FAILED and cleaned (or, in a dry run, to be)
 * @param unresolved orphaned backups (they stay RUNNING) and spool directories that could not be
 *     cleaned this time
 * @param spoolRemoved spool directories of no running backup or open run, removed
 * @param running backups left alone because their workflow is still open
 */
public record SweepReport(
    boolean dryRun,
    List<String> lines,
    int resolved,
    int unresolved,
    int spoolRemoved,
    int running) {

  /** One line: what was (or would be) done. */
  public String summary() {
    return (dryRun ? "dry run: " : "")
        + count(resolved, "orphaned backup")
        + (dryRun ? " to resolve, " : " resolved, ")
        + (unresolved > 0 ? unresolved + " could not be resolved, " : "")
        + count(spoolRemoved, "stale spool directory", "stale spool directories")
        + (dryRun ? " to remove, " : " removed, ")
        + count(running, "running backup")
        + " left to "
        + (running == 1 ? "its workflow" : "their workflows");
  }

  private static String count(int n, String one) {
    return count(n, one, one + "s");
  }

  private static String count(int n, String one, String many) {
    return n + " " + (n == 1 ? one : many);
  }
}
