package dev.vigil.activities.wal;

import java.io.IOException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * {@code wal-push} with a spool, the way pgBackRest's {@code archive-async} works: one call pushes
 * the file PostgreSQL asks for and every other file it has marked ready, a few at a time, and
 * leaves a {@link WalSpool} marker for each other file once it is stored, so PostgreSQL's later
 * calls for them succeed at once. A JVM start per segment is the cost this saves.
 */
public final class AsyncWalPush {
  /** The longest a lingering push keeps going; the next call starts a fresh one. */
  private static final Duration MAX_RUN = Duration.ofMinutes(10);

  private static final long POLL_MILLIS = 100;

  private static final int WARM_UP_OPERATIONS = 20_000;

  private final WalArchive archive;
  private final WalSpool spool;
  private final int parallel;
  private final Duration linger;

  /**
   * @param archive where files go
   * @param spool where markers of stored files are kept
   * @param parallel how many files are pushed at once (at least 1)
   * @param linger zero: return once the files ready at the start are pushed. Otherwise also write a
   *     marker for the requested file, and keep pushing files that become ready until none has come
   *     for this long (or a push failed): the launcher returns to PostgreSQL as soon as the
   *     requested file's marker is there, while this JVM, warm, carries on with the next ones.
   */
  public AsyncWalPush(WalArchive archive, WalSpool spool, int parallel, Duration linger) {
    this.archive = Objects.requireNonNull(archive, "archive");
    this.spool = Objects.requireNonNull(spool, "spool");
    if (parallel < 1) {
      throw new IllegalArgumentException("parallel must be at least 1, not " + parallel);
    }
    this.parallel = parallel;
    this.linger = Objects.requireNonNull(linger, "linger");
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
    boolean lingering = !linger.isZero();
    Set<WalFileName> attempted = new HashSet<>(Set.of(requestedName));
    ExecutorService pool = Executors.newFixedThreadPool(parallel);
    if (lingering) {
      spool.claimPusher();
      pool.execute(AsyncWalPush::warmUpCipher);
    }
    try {
      Future<WalArchive.Pushed> mine =
          pool.submit(
              () -> {
                WalArchive.Pushed pushed = archive.push(requested);
                if (lingering) {
                  spool.markStored(pushed);
                }
                return pushed;
              });
      int[] counts = new int[2];
      pushRound(pool, walDirectory, fresh(walDirectory, attempted), counts);
      if (lingering) {
        awaitRequested(mine);
        long started = System.nanoTime();
        long lastWork = started;
        while (counts[1] == 0
            && System.nanoTime() - lastWork < linger.toNanos()
            && System.nanoTime() - started < MAX_RUN.toNanos()) {
          List<WalFileName> fresh = fresh(walDirectory, attempted);
          if (fresh.isEmpty()) {
            Thread.sleep(POLL_MILLIS);
          } else {
            pushRound(pool, walDirectory, fresh, counts);
            lastWork = System.nanoTime();
          }
        }
      }
      awaitRequested(mine);
      return new Outcome(false, counts[0], counts[1]);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while pushing " + requestedName, e);
    } finally {
      pool.shutdownNow();
      if (lingering) {
        spool.releasePusher();
      }
    }
  }

  /**
   * Gets AES-GCM's hot methods compiled by C2, the only compiler that uses the CPU's AES and
   * carry-less multiply instructions. The sealer calls them once per 1 MiB: a JVM that seals a few
   * dozen segments would otherwise run GHASH in plain Java throughout (about a third of its CPU per
   * segment). Many tiny operations reach the compile threshold in a fraction of a second.
   */
  private static void warmUpCipher() {
    try {
      byte[] key = new byte[32];
      byte[] data = new byte[64];
      Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
      SecretKeySpec spec = new SecretKeySpec(key, "AES");
      for (int i = 0; i < WARM_UP_OPERATIONS; i++) {
        byte[] nonce = new byte[12];
        nonce[0] = (byte) i;
        nonce[1] = (byte) (i >> 8);
        cipher.init(Cipher.ENCRYPT_MODE, spec, new GCMParameterSpec(128, nonce));
        cipher.doFinal(data);
      }
    } catch (GeneralSecurityException e) {
      // Only a warm-up: the pushes work (slower) without it.
    }
  }

  /**
   * Ready files not tried yet by this call and without a marker; adds them to {@code attempted}.
   */
  private List<WalFileName> fresh(Path walDirectory, Set<WalFileName> attempted)
      throws IOException {
    List<WalFileName> fresh = new ArrayList<>();
    for (WalFileName name : WalSpool.ready(walDirectory)) {
      if (attempted.add(name) && !spool.hasMarker(name)) {
        fresh.add(name);
      }
    }
    return fresh;
  }

  /**
   * Pushes {@code names} and waits for all of them; counts stored ones in {@code counts[0]} and
   * failed ones in {@code counts[1]}. A failure writes no marker: PostgreSQL asks for that file
   * again, and its own push reports the error.
   */
  private void pushRound(
      ExecutorService pool, Path walDirectory, List<WalFileName> names, int[] counts)
      throws InterruptedException {
    List<Future<WalArchive.Pushed>> pushes = new ArrayList<>();
    for (WalFileName name : names) {
      pushes.add(
          pool.submit(
              () -> {
                WalArchive.Pushed pushed = archive.push(walDirectory.resolve(name.name()));
                spool.markStored(pushed);
                return pushed;
              }));
    }
    for (Future<WalArchive.Pushed> push : pushes) {
      try {
        push.get();
        counts[0]++;
      } catch (ExecutionException e) {
        counts[1]++;
      }
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
