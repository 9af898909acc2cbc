package dev.vigil.starter.read;

import java.time.Instant;

/**
 * One pending activity of a run.
 *
 * @param state SCHEDULED, STARTED or CANCEL_REQUESTED
 * @param attempt 1 for the first try
 * @param bytesDone bytes done so far by its last heartbeat, null when it does not report bytes
 * @param bytesTotal bytes it will do in all, null when unknown
 * @param lastFailure why the previous attempt failed, null if none did
 * @param nextAttemptAt when a failed attempt's retry is due, null while an attempt runs or when the
 *     server does not say
 */
public record ActivityProgress(
    String activityType,
    String state,
    int attempt,
    Long bytesDone,
    Long bytesTotal,
    String lastFailure,
    Instant lastHeartbeat,
    Instant nextAttemptAt) {}
