package dev.vigil.starter.read;

import java.time.Instant;

/** One run of a backup plan: how many of its sources were archived. */
public record BackupSetView(
    String setId,
    String plan,
    String status,
    Instant startedAt,
    Instant finishedAt,
    int sourceCount,
    int archivedCount,
    String triggeredBy) {}
