package dev.vigil.activities.wal;

import dev.vigil.activities.config.Durations;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * Whether a physical source's archive holds an unbroken WAL chain from the oldest kept base backup
 * to the newest archived segment, and if not, from where point-in-time recovery is no longer
 * possible: each hole names its segments and the base backup that ends it (or that none does), and
 * a kept base backup whose own start segment is not archived cannot be restored at all.
 */
public final class WalCheck {
  private WalCheck() {}

  /**
   * The status of {@code source}'s chain against {@code backups} (its physical backups; only the
   * ARCHIVED ones with a known start count).
   */
  public static WalStatus status(String source, WalChain chain, List<PhysicalBackup> backups) {
    long size = chain.segmentSize();
    List<PhysicalBackup> kept =
        backups.stream()
            .filter(PhysicalBackup::archived)
            .filter(PhysicalBackup::knowsStart)
            .sorted(Comparator.comparing((PhysicalBackup b) -> b.startSegment(size)))
            .toList();
    Optional<WalSegment> newest = chain.newest();
    Instant lastArchivedAt = chain.lastArchivedAt().orElse(null);
    List<String> problems = new ArrayList<>();
    if (kept.isEmpty()) {
      problems.add(
          source
              + ": no verified base backup, so point-in-time recovery is not possible; take one"
              + " with `vigil backup --source "
              + source
              + "`"
              + (newest.isEmpty() ? " and set archive_command = 'vigil wal-push %p'" : ""));
      return new WalStatus(
          source,
          null,
          null,
          newest.map(chain::name).orElse(null),
          chain.segmentCount(),
          0,
          lastArchivedAt,
          problems);
    }
    PhysicalBackup oldest = kept.get(0);
    WalSegment from = oldest.startSegment(size);
    long missing = 0;
    long segments = 0;
    List<WalChain.Gap> gaps = new ArrayList<>();
    for (int timeline : chain.timelines()) {
      if (timeline < from.timeline()) {
        continue;
      }
      // A later timeline is checked from its first kept backup, else its first archived segment.
      WalSegment start =
          timeline == from.timeline()
              ? from
              : kept.stream()
                  .map(b -> b.startSegment(size))
                  .filter(segment -> segment.timeline() == timeline)
                  .findFirst()
                  .orElse(chain.segments(timeline).get(0));
      segments +=
          chain.segments(timeline).stream().filter(s -> s.number() >= start.number()).count();
      for (WalChain.Gap gap : chain.gaps(start)) {
        gaps.add(gap);
        missing += gap.count();
        problems.add(gapLine(source, chain, gap, start, kept, size));
      }
    }
    for (PhysicalBackup backup : kept) {
      WalSegment start = backup.startSegment(size);
      if (chain.contains(start)) {
        continue;
      }
      if (gaps.stream().noneMatch(gap -> within(gap, start))) {
        missing++;
      }
      problems.add(
          source
              + ": base backup "
              + backup.backupId()
              + " cannot be restored: its start segment "
              + chain.name(start)
              + " is missing from the archive ("
              + chain.key(start)
              + ")");
    }
    return new WalStatus(
        source,
        chain.name(from),
        oldest.backupId(),
        newest.map(chain::name).orElse(null),
        segments,
        missing,
        lastArchivedAt,
        problems);
  }

  private static boolean within(WalChain.Gap gap, WalSegment segment) {
    return segment.timeline() == gap.first().timeline()
        && segment.number() >= gap.first().number()
        && segment.number() <= gap.last().number();
  }

  private static String gapLine(
      String source,
      WalChain chain,
      WalChain.Gap gap,
      WalSegment checkedFrom,
      List<PhysicalBackup> kept,
      long size) {
    WalSegment before = new WalSegment(gap.first().timeline(), gap.first().number() - 1);
    // A hole right at the start: nothing before it can be replayed, not even the backup itself.
    String reachable =
        gap.first().equals(checkedFrom)
            ? "the start of the archive's chain"
            : chain.name(before)
                + chain.archivedAt(before).map(at -> " (archived " + at + ")").orElse("");
    Optional<PhysicalBackup> after =
        kept.stream()
            .filter(b -> b.startSegment(size).timeline() == gap.first().timeline())
            .filter(b -> b.startSegment(size).number() > gap.last().number())
            // Only a backup whose own start is archived makes recovery possible again.
            .filter(b -> chain.contains(b.startSegment(size)))
            .findFirst();
    return source
        + ": WAL gap on timeline "
        + gap.first().timeline()
        + ": "
        + chain.name(gap.first())
        + (gap.count() > 1 ? ".." + chain.name(gap.last()) : "")
        + " missing ("
        + gap.count()
        + (gap.count() == 1 ? " segment" : " segments")
        + "); point-in-time recovery is not possible "
        + after
            .map(
                b ->
                    "between "
                        + reachable
                        + " and base backup "
                        + b.backupId()
                        + (b.at() == null ? "" : " (" + b.at() + ")")
                        + " taken after the gap")
            .orElse(
                "to any point after "
                    + reachable
                    + "; take a new base backup with `vigil backup --source "
                    + source
                    + "`");
  }

  /** One line for a source whose chain is whole. */
  public static String summary(WalStatus status, Instant now) {
    String age =
        status.lastArchivedAt() == null
            ? "nothing archived yet"
            : "last archived "
                + Durations.format(
                    Duration.between(status.lastArchivedAt(), now).isNegative()
                        ? Duration.ZERO
                        : Duration.between(status.lastArchivedAt(), now))
                + " ago";
    return status.source()
        + ": WAL complete from "
        + status.from()
        + " (backup "
        + status.fromBackup()
        + ") to "
        + status.newest()
        + ", "
        + status.segments()
        + (status.segments() == 1 ? " segment" : " segments")
        + ", "
        + age;
  }
}
