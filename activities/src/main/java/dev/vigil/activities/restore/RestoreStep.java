package dev.vigil.activities.restore;

import dev.vigil.activities.VigilServices;
import dev.vigil.activities.backup.Spool;
import dev.vigil.activities.backup.SpoolActivitiesImpl;
import dev.vigil.activities.common.VigilException;
import dev.vigil.activities.config.SourceConfig;
import dev.vigil.activities.crypto.ParallelUnsealer;
import dev.vigil.workflows.common.ErrorType;
import dev.vigil.workflows.restore.RestoreTarget;
import dev.vigil.workflows.restore.SelectedBackup;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * One restore step of one backup as a source driver sees it.
 *
 * @param services the worker's services (config, secrets, spool)
 * @param roots where this worker may restore files to
 * @param restoreId the restore's id (its spool directory and any fresh server are named so)
 * @param backup the backup restored
 * @param target where it goes; for {@code validate}, where the restore step put it
 * @param force whether the target may be replaced
 * @param parallelJobs parallel jobs asked for (0: the driver chooses)
 * @param plain the unsealed backup in the spool (null before it exists, at {@code checkTarget});
 *     absent if the driver restores while decrypting ({@link #openPlaintext()})
 * @param heartbeat reports progress to Temporal
 * @param recoverIntoDirectory restores a physical backup as a data directory (PITR's path)
 */
public record RestoreStep(
    VigilServices services,
    RestoreRoots roots,
    String restoreId,
    SelectedBackup backup,
    RestoreTarget target,
    boolean force,
    int parallelJobs,
    Path plain,
    Consumer<Object> heartbeat,
    Function<RestoreStep, RestoreTarget> recoverIntoDirectory) {

  /** Written once the target was found empty: a retried attempt may replace what is there. */
  static final String CLAIMED = "target.claimed";

  /** The restore's spool directory. */
  public Path dir() {
    return services.spool().dir(restoreId);
  }

  /** Whether an earlier attempt of this restore already began writing to the target. */
  public boolean claimedBefore() {
    return Files.exists(dir().resolve(CLAIMED));
  }

  /** Records that this restore begins writing to its target (a retry may then replace it). */
  public void claim() {
    Path claimed = dir().resolve(CLAIMED);
    try {
      Files.writeString(claimed, "claimed\n");
    } catch (IOException e) {
      throw new VigilException(ErrorType.SPOOL_MISSING, "cannot write " + claimed + ": " + e, e);
    }
  }

  /**
   * The unsealed backup as a stream: the decrypt step's plain spool file if it wrote one, or else
   * the sealed spool file decrypted as it is read, on {@link ParallelUnsealer}'s threads. Such a
   * stream is proven whole only when read to its end (an altered or missing segment throws
   * DUMP_INVALID when reached): write into a place that becomes the target only after that. While
   * it is read, the decrypted bytes so far are heartbeat every 16 MiB.
   */
  public InputStream openPlaintext() throws IOException {
    if (plain != null && Files.exists(plain)) {
      return Files.newInputStream(plain);
    }
    Path sealed = services.spool().existing(restoreId, Spool.SEALED);
    InputStream in = Files.newInputStream(sealed);
    try {
      return new ParallelUnsealer(services.sealer())
          .open(
              in,
              SpoolActivitiesImpl.aeadContext(backup.backupId(), backup.source()),
              "backup '" + backup.backupId() + "' (spool file " + sealed + ")",
              heartbeat::accept);
    } catch (IOException | RuntimeException e) {
      in.close();
      throw e;
    }
  }

  /** The backup's manifest, verified by the verify step on this host. */
  public BackupManifest manifest() {
    // The spool directory is private to the worker.
    return BackupManifest.trusted(services.spool().existing(restoreId, Spool.MANIFEST));
  }

  /** The backup's source as configured on this worker, or null if it is not. */
  public SourceConfig source() {
    return services.config().sources().get(backup.source().name());
  }

  /** The same step with another target. */
  public RestoreStep withTarget(RestoreTarget other) {
    return new RestoreStep(
        services,
        roots,
        restoreId,
        backup,
        other,
        force,
        parallelJobs,
        plain,
        heartbeat,
        recoverIntoDirectory);
  }
}
