package dev.vigil.starter.schedule;

/**
 * What {@link Scheduler#trigger} started.
 *
 * @param workflowId the run's workflow id in cron mode; null in schedule mode (the server names it
 *     {@code <prefix>-<time>})
 * @param detail one line for people
 */
public record TriggerOutcome(String name, ScheduleMode mode, String workflowId, String detail) {}
