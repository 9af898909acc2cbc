package dev.vigil.workflows.common;

/** How long one step of a run took, as the workflow saw it (queueing and retries included). */
public record StepTiming(String step, long startedAtMillis, long durationMillis) {}
