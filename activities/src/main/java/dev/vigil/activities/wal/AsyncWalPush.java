package dev.vigil.activities.wal;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * {@code wal-push} with a spool, the way pgBackRest's {@code archive-async} works: one call pushes
 * the file PostgreSQL asks for and every other file it has marked ready, a few at a time, and
 * leaves a {@link WalSpool} marker for each other file once it is stored, so PostgreSQL's later
 * calls for them succeed at once. A JVM start per segment is the cost this saves.
 */
public final class AsyncWalPush {
  private final WalArchive archive;
  private final WalSpool spool;
  private final int parallel;

  /**
   * @param archive where files go
   * @param spool where markers of stored files are kept
   * @param parallel how many files are pushed at once (at least 1)
   */
  public AsyncWalPush(WalArchive archive, WalSpool spool, int parallel) {
    this.archive = Objects.requireNonNull(archive, "archive");
    this.spool = Objects.requireNonNull(spool, "spool");
    if (parallel < 1) {
      throw new IllegalArgumentException("parallel must be at least 1, not " + parallel);
    }
    this.parallel = parallel;
  }

  /**
   * What one call did.
   *
   * @param fromMarker the requested file was already stored by an earlier call (its marker matched)
   * @param others files pushed besides the requested one, each now with a marker
   * @param othersFailed files that could not be pushed (no marker: PostgreSQL asks for them again)
   */
  public record Outcome(boolean fromMarker, int others, int othersFailed) {}

  /**
   * Archives {@code requested} (PostgreSQL's {@code %p}) and every other ready file next to it.
   * Returns normally only if {@code requested} is stored; otherwise throws what its push threw
   * (after the other pushes have ended, so no marker is written after this returns).
   */
  public Outcome push(Path requested) throws IOException {
    WalFileName requestedName = WalFileName.parse(String.valueOf(requested.getFileName()));
    if (spool.consumeIfStored(requested)) {
      return new Outcome(true, 0, 0);
    }
    Path walDirectory = requested.toAbsolutePath().getParent();
    spool.removeOrphans(walDirectory);
    List<WalFileName> others = new ArrayList<>();
    for (WalFileName name : WalSpool.ready(walDirectory)) {
      if (!name.equals(requestedName) && !spool.hasMarker(name)) {
        others.add(name);
      }
    }
    ExecutorService pool = Executors.newFixedThreadPool(Math.min(parallel, 1 + others.size()));
    try {
      Future<WalArchive.Pushed> mine = pool.submit(() -> archive.push(requested));
      List<Future<WalArchive.Pushed>> theirs = new ArrayList<>();
      for (WalFileName name : others) {
        theirs.add(
            pool.submit(
                () -> {
                  WalArchive.Pushed pushed = archive.push(walDirectory.resolve(name.name()));
                  spool.markStored(pushed);
                  return pushed;
                }));
      }
      int stored = 0;
      int failed = 0;
      for (Future<WalArchive.Pushed> other : theirs) {
        try {
          other.get();
          stored++;
        } catch (ExecutionException e) {
          // No marker: PostgreSQL asks for this file again, and its own push reports the error.
          failed++;
        }
      }
      awaitRequested(mine);
      return new Outcome(false, stored, failed);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while pushing " + requestedName, e);
    } finally {
      pool.shutdownNow();
    }
  }

  private static void awaitRequested(Future<WalArchive.Pushed> mine)
      throws IOException, InterruptedException {
    try {
      mine.get();
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof IOException io) {
        throw io;
      }
      if (cause instanceof RuntimeException runtime) {
        throw runtime;
      }
      if (cause instanceof Error error) {
        throw error;
      }
      throw new IOException(cause);
    }
  }
}
