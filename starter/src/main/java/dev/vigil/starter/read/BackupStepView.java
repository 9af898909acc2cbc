package dev.vigil.starter.read;

import java.time.Instant;

/** One step of a backup's workflow: when it started and how long it took, retries included. */
public record BackupStepView(String step, Instant startedAt, long durationMillis) {}
