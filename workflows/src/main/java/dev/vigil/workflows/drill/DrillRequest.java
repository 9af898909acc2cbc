package dev.vigil.workflows.drill;

/**
 * Run one DR drill.
 *
 * @param plan the drill plan's name in vigil.yaml
 * @param requestedAtMillis the time the drill id is derived from; 0 for the drill's start (cron and
 *     scheduled runs)
 * @param triggeredBy who or what asked (a user, a schedule), recorded
 */
public record DrillRequest(String plan, long requestedAtMillis, String triggeredBy) {}
