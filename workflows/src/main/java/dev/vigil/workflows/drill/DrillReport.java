package dev.vigil.workflows.drill;

import java.util.List;

/**
 * What a drill found: per component and in total, against the objectives.
 *
 * @param status {@code PASSED} or {@code FAILED}
 * @param setId the backup set restored, null if none was found
 * @param totalRtoMillis from the drill's start to the last component validated
 * @param worstRpoMillis the largest RPO of any component
 * @param objectives the plan's total objectives
 * @param failures one line per reason the drill failed; empty when {@code PASSED}
 */
public record DrillReport(
    String drillId,
    String plan,
    String status,
    String setId,
    String triggeredBy,
    long startedAtMillis,
    long finishedAtMillis,
    long totalRtoMillis,
    long worstRpoMillis,
    DrillObjectives objectives,
    List<DrillComponent> components,
    List<String> failures) {
  /** Status of a drill that met every objective and validation. */
  public static final String PASSED = "PASSED";

  /** Status of a drill that did not. */
  public static final String FAILED = "FAILED";

  /** Whether the drill passed. */
  public boolean passed() {
    return PASSED.equals(status);
  }
}
