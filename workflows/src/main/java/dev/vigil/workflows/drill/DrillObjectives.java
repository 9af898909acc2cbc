package dev.vigil.workflows.drill;

/**
 * Recovery objectives in milliseconds; 0 means none is set.
 *
 * @param rtoMillis how long recovery may take
 * @param rpoMillis how much data (time) may be lost
 */
public record DrillObjectives(long rtoMillis, long rpoMillis) {
  /** No objectives. */
  public static final DrillObjectives NONE = new DrillObjectives(0, 0);
}
