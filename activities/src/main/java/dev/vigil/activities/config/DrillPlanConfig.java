package dev.vigil.activities.config;

import java.util.List;

/**
 * A DR drill plan: which sources a drill restores, what it must achieve, and when it recurs.
 *
 * @param sources the sources it restores, in order; all of the config's when the plan names none
 * @param objectives the plan's total RTO/RPO; {@link Objectives#NONE} parts fall back to the
 *     loosest of its sources' objectives
 * @param schedule a five-field cron expression (UTC) for the recurring drill
 */
public record DrillPlanConfig(
    String name, List<String> sources, Objectives objectives, String schedule) {
  /** The plan every config has when it has no {@code drills:} section. */
  public static final String DEFAULT_PLAN = "default";

  /** Quarterly: 03:00 UTC on the first day of January, April, July and October. */
  public static final String QUARTERLY = "0 3 1 1,4,7,10 *";
}
