package dev.vigil.activities.backup;

/**
 * How a dump sealed as it streamed was checked on the way ({@link Spool#STREAM_CHECK}), written by
 * the dump step once the dump and its seal are complete; the verify step returns it, so a retried
 * verify gives the same answer.
 *
 * @param entries what the check counted (pg_restore --list entries, files…)
 */
public record StreamCheck(long entries) {}
