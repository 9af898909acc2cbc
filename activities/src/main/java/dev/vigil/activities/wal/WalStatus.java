package dev.vigil.activities.wal;

import java.time.Instant;
import java.util.List;

/**
 * The state of a physical source's WAL chain, as {@code vigil check} reports it and the worker's
 * gauges export it.
 *
 * @param from the start segment of the oldest kept base backup (null when none is kept)
 * @param fromBackup that backup
 * @param newest the newest archived segment (null when nothing is archived)
 * @param segments archived segments from {@code from} on
 * @param gapSegments segments missing between {@code from} and {@code newest}, and base backups'
 *     own start segments missing from the archive
 * @param lastArchivedAt when the store last wrote a segment (null when nothing is archived)
 * @param problems one line per problem a person can act on; empty when PITR works throughout
 */
public record WalStatus(
    String source,
    String from,
    String fromBackup,
    String newest,
    long segments,
    long gapSegments,
    Instant lastArchivedAt,
    List<String> problems) {

  public boolean ok() {
    return problems.isEmpty();
  }
}
