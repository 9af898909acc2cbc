package dev.vigil.workflows.drill;

import java.util.List;

/**
 * A drill plan resolved from the worker's config.
 *
 * @param objectives the plan's total objectives: its own override, else the loosest of its sources'
 * @param maxParallel how many sources are restored at once
 */
public record DrillPlan(
    String plan, List<DrillSource> sources, DrillObjectives objectives, int maxParallel) {}
