package dev.vigil.workflows.backup;

import java.util.List;

/**
 * Asks for one backup of a plan's sources.
 *
 * @param plan plan name, used in ids and the catalog
 * @param sources source names to back up; empty means every configured source
 * @param requestedAtMillis the time the ids are derived from (the schedule's or the caller's)
 * @param triggeredBy who or what started it (a user, a schedule), recorded in the catalog
 */
public record PlanRequest(
    String plan, List<String> sources, long requestedAtMillis, String triggeredBy) {}
