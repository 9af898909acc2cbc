package dev.vigil.starter.read;

import java.time.Instant;

/**
 * One validation: a restore of the day, or a drill (of the day, else the latest of its plan).
 *
 * @param type restore or drill
 * @param name the restored source, or the drill's plan
 * @param sameDay whether it ran on the report's day (false: the latest drill, from before)
 * @param detail what was checked, in words (RTO/RPO against objectives for drills)
 */
public record ValidationEntry(
    String type,
    String id,
    String name,
    String status,
    boolean passed,
    Instant finishedAt,
    boolean sameDay,
    String detail) {}
