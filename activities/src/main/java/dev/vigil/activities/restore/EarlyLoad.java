package dev.vigil.activities.restore;

import dev.vigil.activities.common.VigilException;
import dev.vigil.workflows.common.ErrorType;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads a backup into its target while the download step is still fetching it: the plaintext that
 * {@link EarlyUnseal} decrypts (every segment authenticated before a byte of it is handed on) also
 * goes to a loader, e.g. pg_restore's pre-data and data sections reading standard input, so the
 * rows are in by the time the download ends and the restore step only builds what comes after
 * (indexes, constraints). Only into a target this restore created, so that anything short of a
 * whole, verified download can put the target back as it was by removing it:
 *
 * <ul>
 *   <li>the load is kept ({@code load.done} names the SHA-256 of the download) only if the
 *       plaintext authenticated to its end, the download's SHA-256 and size equal the catalog's,
 *       and the loader succeeded;
 *   <li>otherwise (a failed or altered download, a loader error, a cancel) the loader is stopped
 *       and the target removed ({@link Loader#undo}); the restore step then restores as it always
 *       did and reports what is wrong;
 *   <li>a worker killed mid-load leaves {@code load.started}: the next attempt removes the target
 *       first ({@link #startedBefore}).
 * </ul>
 */
public final class EarlyLoad implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(EarlyLoad.class);
  private static final String STARTED = "load.started";
  private static final String LOADED = "load.done";

  /** What loads the plaintext into the target, and how to take it out again. */
  public interface Loader {
    /** Where the plaintext goes, in order; closed at its end. */
    OutputStream input();

    /** Waits until the load has ended, calling {@code heartbeat} every few seconds. */
    void await(Runnable heartbeat) throws InterruptedException;

    /** Stops a load that still runs. */
    void stop();

    /** Removes the target this restore created for the load (and what was loaded into it). */
    void undo();
  }

  private final Path dir;
  private final String target;
  private final Loader loader;
  private boolean ended;

  private EarlyLoad(Path dir, String target, Loader loader) {
    this.dir = dir;
    this.target = target;
    this.loader = loader;
  }

  /**
   * Records in {@code dir} (the restore's spool directory) that a load begins; call it right after
   * creating the target, before writing to it.
   */
  public static void markStarted(Path dir) {
    try {
      Files.writeString(dir.resolve(STARTED), "started\n");
    } catch (IOException e) {
      throw new VigilException(
          ErrorType.SPOOL_MISSING, "cannot write " + dir.resolve(STARTED) + ": " + e, e);
    }
  }

  /** A load of {@code target} by {@code loader}, begun after {@link #markStarted}. */
  public static EarlyLoad of(Path dir, String target, Loader loader) {
    return new EarlyLoad(dir, target, loader);
  }

  /** Whether an earlier attempt began a load that neither completed nor was undone. */
  public static boolean startedBefore(Path dir) {
    return Files.exists(dir.resolve(STARTED));
  }

  /**
   * Whether the target was created for a load, begun or complete, that no restore step has yet
   * taken over: until then, the target is this restore's to remove.
   */
  public static boolean createdTarget(Path dir) {
    return startedBefore(dir) || Files.exists(dir.resolve(LOADED));
  }

  /** Forgets a load, begun or complete, once its target was removed. */
  public static void forgetAll(Path dir) {
    deleteQuietly(dir.resolve(STARTED));
    deleteQuietly(dir.resolve(LOADED));
  }

  /** Forgets an earlier attempt's load once its target was removed. */
  public static void forget(Path dir) {
    deleteQuietly(dir.resolve(STARTED));
  }

  /** Whether the target holds a completed load of the download whose SHA-256 is {@code sha256}. */
  public static boolean loaded(Path dir, String sha256) {
    try {
      Path done = dir.resolve(LOADED);
      return Files.isRegularFile(done) && Files.readString(done).strip().equals(sha256);
    } catch (IOException e) {
      return false;
    }
  }

  /**
   * Where the decrypted plaintext goes ({@link EarlyUnseal}'s feeder thread writes it; a loader
   * that stopped reading ends only that thread).
   */
  OutputStream sink() {
    return loader.input();
  }

  /**
   * The download ended. With {@code verifiedSha256} (the plaintext authenticated to its end and the
   * download matched the catalog) waits for the loader and keeps its load; with null, or if the
   * loader failed, undoes it.
   */
  void finish(String verifiedSha256, Runnable heartbeat) throws IOException {
    if (verifiedSha256 == null) {
      log.info("the download did not verify: {} loaded during it is removed", target);
      close();
      return;
    }
    try {
      loader.await(heartbeat);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      close();
      return;
    } catch (VigilException e) {
      log.warn(
          "loading {} during the download failed ({}); it is removed and the restore step"
              + " restores it",
          target,
          e.getMessage());
      close();
      return;
    }
    Files.writeString(dir.resolve(LOADED), verifiedSha256 + "\n");
    ended = true;
    forget(dir);
  }

  /** Stops and undoes a load that did not {@link #finish} with success. */
  @Override
  public void close() {
    if (ended) {
      return;
    }
    ended = true;
    loader.stop();
    try {
      loader.input().close();
    } catch (IOException e) {
      // Stopped: nothing reads it any more.
    }
    try {
      loader.undo();
      forget(dir);
    } catch (RuntimeException e) {
      // load.started stays: the next attempt, or the restore step, removes it first.
      log.warn(
          "cannot remove {} after an early load that did not complete: {}", target, e.getMessage());
    }
  }

  private static void deleteQuietly(Path file) {
    try {
      Files.deleteIfExists(file);
    } catch (IOException e) {
      log.warn("cannot delete {}: {}", file, e.toString());
    }
  }
}
