package dev.vigil.activities.wal;

import dev.vigil.activities.common.VigilException;
import dev.vigil.activities.crypto.Sealer;
import dev.vigil.activities.source.PgTools;
import dev.vigil.activities.store.ObjectStore;
import dev.vigil.workflows.common.ErrorType;
import dev.vigil.workflows.restore.RecoveryTarget;
import dev.vigil.workflows.restore.SelectedBackup;
import dev.vigil.workflows.restore.WalRange;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Brings the archived WAL a point-in-time restore replays into a local directory: from the base
 * backup's start segment, the contiguous run of its timeline ({@link WalChain#from}), each segment
 * fetched and verified through {@link WalArchive#fetch} (AEAD and plaintext SHA-256), a few at a
 * time. Before the bulk of it, the target is checked against what the chain can reach: the last
 * commit in it (read with {@code pg_waldump}) for a time, the segments for an LSN. PostgreSQL's
 * {@code restore_command} then only copies from that directory.
 */
public final class WalStaging {
  /** Parallel downloads: enough to hide the store's latency, few enough for a small host. */
  static final int PARALLEL_FETCHES = 4;

  private static final Pattern COMMIT =
      Pattern.compile(
          "desc: COMMIT (\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2}(?:\\.\\d{1,6})?) UTC");
  private static final DateTimeFormatter WALDUMP_TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss[.SSSSSS][.SSSSS][.SSSS][.SSS][.SS][.S]");

  private final ObjectStore store;
  private final WalArchive archive;
  private final String source;
  private final PgTools tools;

  public WalStaging(ObjectStore store, Sealer sealer, String source, Path scratch, PgTools tools) {
    this.store = store;
    this.archive = new WalArchive(store, sealer, source, scratch);
    this.source = source;
    this.tools = tools;
  }

  /**
   * Checks {@code target} is reachable from {@code backup}'s start and fetches the chain into
   * {@code into}; files already there (a retried attempt's, complete since each arrives by rename)
   * are kept. {@code progress} gets the number of segments in place so far.
   */
  public WalRange stage(
      SelectedBackup backup, RecoveryTarget target, Path into, IntConsumer progress) {
    if (backup.startLsn() == null || backup.timeline() <= 0) {
      throw new VigilException(
          ErrorType.INVALID_CONFIG,
          "backup '"
              + backup.backupId()
              + "' has no start LSN or timeline in the catalog; it cannot replay WAL");
    }
    requireEndsBefore(backup, target);
    long segmentSize = WalSegment.DEFAULT_SIZE;
    WalChain chain = WalChain.list(store, source, segmentSize);
    WalSegment start = WalSegment.containing(backup.timeline(), backup.startLsn(), segmentSize);
    WalChain.Run run = chain.from(start);
    if (run.end() == null) {
      if (run.resumesAt() != null) {
        throw unreachable(
            target,
            "cannot be reached: the base backup's start segment "
                + chain.name(start)
                + " is missing from the WAL archive (it resumes at "
                + chain.name(run.resumesAt())
                + "), so no WAL can be replayed");
      }
      if (RecoveryTarget.LATEST.equals(target.kind())) {
        return new WalRange(
            null,
            null,
            0,
            0,
            0,
            null,
            "no WAL archived from segment "
                + chain.name(start)
                + " on; recovered to the base backup's own end");
      }
      throw unreachable(
          target,
          "cannot be reached: the WAL archive holds nothing from the base backup's start segment "
              + chain.name(start)
              + " on; the last reachable point is the end of base backup '"
              + backup.backupId()
              + "' ("
              + Instant.ofEpochMilli(backup.consistentAtMillis())
              + "). Is archive_command set to vigil wal-push?");
    }
    WalSegment end = run.end();
    if (RecoveryTarget.LSN.equals(target.kind())) {
      WalSegment holding = WalSegment.containing(backup.timeline(), target.lsn(), segmentSize);
      if (holding.number() > end.number()) {
        throw unreachable(
            target, "is in segment " + chain.name(holding) + ", after " + beyond(chain, run));
      }
      end = holding;
    }
    try {
      Files.createDirectories(into);
    } catch (IOException e) {
      throw new VigilException(
          ErrorType.SPOOL_MISSING, "cannot create " + into + " for the WAL: " + e, e);
    }
    // The last commit first, from the end backwards: a target past it is refused before the rest.
    Instant lastCommit = null;
    WalSegment commitSegment = null;
    for (long number = end.number(); number >= start.number() && lastCommit == null; number--) {
      WalSegment segment = new WalSegment(start.timeline(), number);
      progress.accept(0);
      fetch(chain, segment, into);
      Optional<Instant> found = lastCommit(into.resolve(chain.name(segment)));
      if (found.isPresent()) {
        lastCommit = found.get();
        commitSegment = segment;
      }
    }
    if (RecoveryTarget.TIME.equals(target.kind())) {
      Instant at = Instant.ofEpochMilli(target.atMillis());
      if (lastCommit == null) {
        throw unreachable(
            target,
            "cannot be reached: the archived WAL from segment "
                + chain.name(start)
                + " to "
                + chain.name(end)
                + " holds no transaction; "
                + beyondEnd(chain, run));
      }
      // Recovery stops before the first commit after the target: one must exist.
      if (!lastCommit.isAfter(at)) {
        throw unreachable(
            target,
            "is after the last archived transaction ("
                + lastCommit
                + " in segment "
                + chain.name(commitSegment)
                + "); "
                + beyondEnd(chain, run)
                + ". Pick an earlier --at, or --latest to recover everything archived");
      }
    }
    List<WalSegment> all = new ArrayList<>();
    for (long number = start.number(); number <= end.number(); number++) {
      all.add(new WalSegment(start.timeline(), number));
    }
    fetchAll(chain, all, into, progress);
    long bytes = 0;
    for (WalSegment segment : all) {
      bytes += size(into.resolve(chain.name(segment)));
    }
    String note =
        RecoveryTarget.LATEST.equals(target.kind()) && run.endsAtGap()
            ? "the WAL archive has a gap: replay stopped before " + gap(chain, run)
            : null;
    return new WalRange(
        chain.name(start),
        chain.name(end),
        all.size(),
        bytes,
        lastCommit == null ? 0 : lastCommit.toEpochMilli(),
        commitSegment == null ? null : chain.name(commitSegment),
        note);
  }

  /**
   * A base backup named by id may end after the target; PostgreSQL would refuse to stop before its
   * consistent point only after the whole restore.
   */
  private void requireEndsBefore(SelectedBackup backup, RecoveryTarget target) {
    boolean after =
        RecoveryTarget.TIME.equals(target.kind()) && backup.consistentAtMillis() > target.atMillis()
            || RecoveryTarget.LSN.equals(target.kind())
                && backup.stopLsn() != null
                && Long.compareUnsigned(
                        WalSegment.lsn(backup.stopLsn()), WalSegment.lsn(target.lsn()))
                    > 0;
    if (after) {
      throw unreachable(
          target,
          "is before the end of base backup '"
              + backup.backupId()
              + "' ("
              + Instant.ofEpochMilli(backup.consistentAtMillis())
              + ", LSN "
              + backup.stopLsn()
              + "), where its copy first becomes consistent; restore an older backup, or name no"
              + " backup id so Vigil picks one");
    }
  }

  /** The commit time of the last transaction in a segment file, if it holds one. */
  public Optional<Instant> lastCommit(Path segmentFile) {
    List<String> lines = new ArrayList<>();
    try {
      // pg_waldump prints commit times in its TZ; it exits non-zero at the end of valid WAL,
      // which a switched segment always has, so only what it printed counts.
      tools.run(
          List.of(tools.pgWaldump(), "--rmgr=Transaction", segmentFile.toString()),
          Map.of("TZ", "UTC"),
          lines::add,
          Duration.ofSeconds(5),
          () -> {});
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("pg_waldump interrupted", e);
    }
    Instant last = null;
    for (String line : lines) {
      Matcher matcher = COMMIT.matcher(line);
      if (matcher.find()) {
        last = LocalDateTime.parse(matcher.group(1), WALDUMP_TIME).toInstant(ZoneOffset.UTC);
      }
    }
    return Optional.ofNullable(last);
  }

  private void fetchAll(
      WalChain chain, List<WalSegment> segments, Path into, IntConsumer progress) {
    ExecutorService pool = Executors.newFixedThreadPool(PARALLEL_FETCHES);
    try {
      AtomicInteger done = new AtomicInteger();
      List<Future<?>> futures = new ArrayList<>();
      for (WalSegment segment : segments) {
        futures.add(
            pool.submit(
                () -> {
                  fetch(chain, segment, into);
                  done.incrementAndGet();
                  return null;
                }));
      }
      for (Future<?> future : futures) {
        while (true) {
          try {
            future.get(5, TimeUnit.SECONDS);
            break;
          } catch (TimeoutException stillRunning) {
            progress.accept(done.get());
          }
        }
        progress.accept(done.get());
      }
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException runtime) {
        throw runtime;
      }
      throw new IllegalStateException("fetching WAL failed: " + e.getCause(), e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("fetching WAL interrupted", e);
    } finally {
      pool.shutdownNow();
    }
  }

  /** One segment into {@code into}, unless an earlier attempt already put it there. */
  private void fetch(WalChain chain, WalSegment segment, Path into) {
    String name = chain.name(segment);
    Path file = into.resolve(name);
    if (Files.exists(file)) {
      return;
    }
    try {
      if (!archive.fetch(WalFileName.parse(name), file)) {
        throw unreachableNow(
            "WAL segment "
                + name
                + " was listed in the archive of source '"
                + source
                + "' but is gone; the chain has a gap there");
      }
    } catch (IOException e) {
      throw new VigilException(
          ErrorType.REPOSITORY_UNAVAILABLE,
          "cannot fetch WAL segment " + name + " of source '" + source + "': " + e.getMessage(),
          e);
    }
  }

  private static String beyond(WalChain chain, WalChain.Run run) {
    return run.endsAtGap()
        ? "a gap in the WAL archive: " + gap(chain, run)
        : "the last archived segment " + chain.name(run.end()) + "; the archive ends there";
  }

  private static String beyondEnd(WalChain chain, WalChain.Run run) {
    return run.endsAtGap() ? "replay cannot pass " + gap(chain, run) : "the archive ends there";
  }

  private static String gap(WalChain chain, WalChain.Run run) {
    return "segment "
        + chain.name(run.firstMissing())
        + ", which is missing from the archive (it resumes at "
        + chain.name(run.resumesAt())
        + ")";
  }

  private VigilException unreachable(RecoveryTarget target, String why) {
    String what =
        RecoveryTarget.LSN.equals(target.kind())
            ? "PITR target LSN " + target.lsn()
            : RecoveryTarget.TIME.equals(target.kind())
                ? "PITR target " + Instant.ofEpochMilli(target.atMillis())
                : "PITR to the end of the archive";
    return unreachableNow(what + " " + why);
  }

  private VigilException unreachableNow(String message) {
    return new VigilException(
        ErrorType.PITR_TARGET_UNREACHABLE, "source '" + source + "': " + message);
  }

  private static long size(Path file) {
    try {
      return Files.size(file);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
