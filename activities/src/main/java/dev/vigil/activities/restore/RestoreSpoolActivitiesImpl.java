package dev.vigil.activities.restore;

import dev.vigil.activities.VigilServices;
import dev.vigil.activities.backup.ManifestMac;
import dev.vigil.activities.backup.Spool;
import dev.vigil.activities.backup.SpoolActivitiesImpl;
import dev.vigil.activities.common.Activities;
import dev.vigil.activities.common.SpoolErrors;
import dev.vigil.activities.common.VigilException;
import dev.vigil.activities.crypto.ParallelUnsealer;
import dev.vigil.activities.crypto.UnsealedStream;
import dev.vigil.activities.source.PgTools;
import dev.vigil.activities.source.SourceDriver;
import dev.vigil.activities.source.postgres.PostgresDriver;
import dev.vigil.activities.store.ObjectStore;
import dev.vigil.activities.store.StoredObject;
import dev.vigil.activities.wal.WalStaging;
import dev.vigil.workflows.common.ErrorType;
import dev.vigil.workflows.restore.DownloadProgress;
import dev.vigil.workflows.restore.DownloadRequest;
import dev.vigil.workflows.restore.DownloadResult;
import dev.vigil.workflows.restore.RecoveredPoint;
import dev.vigil.workflows.restore.RecoveryRequest;
import dev.vigil.workflows.restore.RecoveryTarget;
import dev.vigil.workflows.restore.RestoreDataRequest;
import dev.vigil.workflows.restore.RestoreSpoolActivities;
import dev.vigil.workflows.restore.RestoreTarget;
import dev.vigil.workflows.restore.RestoreWorkflowImpl;
import dev.vigil.workflows.restore.SelectedBackup;
import dev.vigil.workflows.restore.UnsealRequest;
import dev.vigil.workflows.restore.UnsealResult;
import dev.vigil.workflows.restore.ValidateRequest;
import dev.vigil.workflows.restore.ValidationResult;
import dev.vigil.workflows.restore.VerifiedBackup;
import dev.vigil.workflows.restore.VerifyRequest;
import dev.vigil.workflows.restore.WalFetchRequest;
import dev.vigil.workflows.restore.WalRange;
import io.temporal.activity.Activity;
import io.temporal.activity.ActivityExecutionContext;
import java.io.BufferedOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The restore steps on the host that holds the restore's spool directory ({@code
 * <spool-dir>/<restore-id>}): download, verify, decrypt, restore, validate. A fresh cluster lives
 * in {@code <spool-dir>/clusters/<restore-id>} and outlives the spool directory.
 */
public final class RestoreSpoolActivitiesImpl implements RestoreSpoolActivities {
  private static final Logger log = LoggerFactory.getLogger(RestoreSpoolActivitiesImpl.class);

  private static final String DIRECTORY = "directory";

  private static final int BUFFER = 1 << 20;

  /** The spool directory a point-in-time restore fetches the archived WAL into. */
  static final String WAL_DIR = "wal";

  private final VigilServices services;
  private final BackupDownloader downloader = new BackupDownloader();
  private final PgTools tools = PgTools.locate();
  private final PointInTimeRecovery pointInTime = new PointInTimeRecovery();

  private final RestoreRoots roots;

  public RestoreSpoolActivitiesImpl(VigilServices services) {
    this.services = services;
    this.roots = RestoreRoots.of(services.config().worker());
  }

  @Override
  public void checkTarget(RestoreDataRequest request) {
    Activities.run(
        () -> {
          RestoreStep step = step(request, null, Activity.getExecutionContext());
          services.drivers().forBackup(step.backup()).checkTarget(step);
        });
  }

  @Override
  public DownloadResult downloadBackup(DownloadRequest request) {
    return Activities.run(
        () -> {
          ActivityExecutionContext context = Activity.getExecutionContext();
          SelectedBackup backup = request.backup();
          // No key, no restore: say so before downloading what cannot be opened.
          if (backup.keyId() != null) {
            services.keys().require(backup.keyId(), "backup '" + backup.backupId() + "'");
          }
          ObjectStore store = store(backup);
          Path file = services.spool().dir(request.restoreId()).resolve(Spool.SEALED);
          DownloadProgress resume =
              context.getHeartbeatDetails(DownloadProgress.class).orElse(null);
          if (resume != null) {
            log.info("download of {} resumes at byte {}", backup.objectKey(), resume.bytesDone());
          }
          if (services.drivers().forBackup(backup).restoresWhileDecrypting()) {
            return downloader.download(
                store, backup.objectKey(), file, backup.storedBytes(), resume, context::heartbeat);
          }
          // The plaintext the decrypt step needs is made as the sealed file arrives: the decrypt
          // step then finds it ready (once verify matched the SHA-256) instead of a second pass.
          return downloadDecrypting(request, store, file, resume, context);
        });
  }

  /**
   * Downloads the sealed file while {@link EarlyUnseal} decrypts what has arrived into the early
   * plaintext the decrypt step takes over.
   */
  private DownloadResult downloadDecrypting(
      DownloadRequest request,
      ObjectStore store,
      Path file,
      DownloadProgress resume,
      ActivityExecutionContext context) {
    SelectedBackup backup = request.backup();
    try {
      Path plain = services.spool().dir(request.restoreId()).resolve(plainName(backup));
      Files.createDirectories(file.getParent());
      if (!Files.exists(file)) {
        Files.createFile(file);
      }
      EarlyLoad load = earlyLoad(request, plain, context);
      // Anything thrown closes the decryption first, then undoes a load that did not finish.
      try (load;
          EarlyUnseal early =
              EarlyUnseal.start(
                  services.sealer(),
                  file,
                  plain,
                  SpoolActivitiesImpl.aeadContext(backup.backupId(), backup.source()),
                  load == null ? null : load.sink())) {
        DownloadResult result =
            downloader.download(
                store,
                backup.objectKey(),
                file,
                backup.storedBytes(),
                resume,
                context::heartbeat,
                early::written);
        Runnable waiting =
            () ->
                context.heartbeat(
                    new DownloadProgress(backup.objectKey(), result.bytes(), result.bytes()));
        boolean whole = early.finish(result.sha256(), waiting);
        if (load != null) {
          boolean verified =
              whole
                  && result.bytes() == backup.storedBytes()
                  && result.sha256().equals(backup.sha256());
          load.finish(verified ? result.sha256() : null, waiting);
        }
        return result;
      }
    } catch (IOException e) {
      throw new VigilException(
          ErrorType.SPOOL_MISSING, "download: cannot write beside " + file + ": " + e, e);
    }
  }

  @Override
  public VerifiedBackup verifyBackup(VerifyRequest request) {
    return Activities.run(
        () -> {
          SelectedBackup backup = request.backup();
          DownloadResult download = request.download();
          String object = "object '" + backup.objectKey() + "' in bucket '" + backup.bucket() + "'";
          if (download.bytes() != backup.storedBytes()
              || !download.sha256().equals(backup.sha256())) {
            throw new VigilException(
                ErrorType.OBJECT_CORRUPT,
                object
                    + " of backup '"
                    + backup.backupId()
                    + "' is corrupt: "
                    + download.bytes()
                    + " bytes with SHA-256 "
                    + download.sha256()
                    + ", the catalog recorded "
                    + backup.storedBytes()
                    + " bytes with SHA-256 "
                    + backup.sha256()
                    + " (bit rot or tampering); nothing of it was restored, restore another backup");
          }
          if (backup.keyId() != null) {
            services.keys().require(backup.keyId(), "backup '" + backup.backupId() + "'");
          }
          return fetchManifest(request.restoreId(), backup).summary();
        });
  }

  /**
   * Downloads the backup's manifest into the restore's spool and verifies it: its HMAC under the
   * configured key, and that it describes this backup.
   */
  private BackupManifest fetchManifest(String restoreId, SelectedBackup backup) {
    ObjectStore store = store(backup);
    StoredObject head =
        store
            .head(backup.manifestKey())
            .orElseThrow(
                () ->
                    new VigilException(
                        ErrorType.MANIFEST_INVALID,
                        "manifest '"
                            + backup.manifestKey()
                            + "' of backup '"
                            + backup.backupId()
                            + "' is missing from bucket '"
                            + store.bucket()
                            + "'; the backup cannot be trusted"));
    Path manifest = services.spool().dir(restoreId).resolve(Spool.MANIFEST);
    try (InputStream in = store.open(backup.manifestKey())) {
      Files.copy(in, manifest, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw new VigilException(
          ErrorType.REPOSITORY_UNAVAILABLE,
          "cannot download manifest '" + backup.manifestKey() + "': " + e.getMessage(),
          e);
    }
    return BackupManifest.verify(
        manifest,
        head.metadata().get(ManifestMac.HMAC_METADATA),
        head.metadata().get(ManifestMac.KEY_ID_METADATA),
        services.manifests(),
        backup);
  }

  /**
   * The driver's load into the restore target during this download, if the request allows one and
   * the driver starts one; the manifest it needs (roles) is fetched and verified first. Any trouble
   * starting it only means the restore step restores as before.
   */
  private EarlyLoad earlyLoad(
      DownloadRequest request, Path plain, ActivityExecutionContext context) {
    if (request.into() == null) {
      return null;
    }
    SourceDriver driver = services.drivers().forBackup(request.backup());
    try {
      fetchManifest(request.restoreId(), request.backup());
      return driver.loadWhileDownloading(step(request.into(), plain, context));
    } catch (VigilException e) {
      log.info(
          "restore {}: no load during the download ({}); the restore step restores",
          request.restoreId(),
          e.getMessage());
      return null;
    }
  }

  @Override
  public UnsealResult unsealBackup(UnsealRequest request) {
    return Activities.run(
        () -> {
          ActivityExecutionContext context = Activity.getExecutionContext();
          SelectedBackup backup = request.backup();
          Path dir = services.spool().dir(request.restoreId());
          Path out = dir.resolve(plainName(backup));
          Path sealed = dir.resolve(Spool.SEALED);
          // Check before acting: a retry after the unseal completed returns what it produced.
          if (Files.exists(out) && !Files.exists(sealed)) {
            return new UnsealResult(out.toString(), size(out));
          }
          Optional<Long> early = EarlyUnseal.completed(out, backup.sha256());
          if (early.isPresent()) {
            // Decrypted during the download; verify has since matched the download's SHA-256.
            try {
              Files.move(EarlyUnseal.earlyFile(out), out, StandardCopyOption.ATOMIC_MOVE);
              Files.deleteIfExists(EarlyUnseal.doneFile(out));
              Files.deleteIfExists(sealed);
            } catch (IOException e) {
              throw new VigilException(
                  ErrorType.SPOOL_MISSING, "decrypt: cannot move the plaintext to " + out, e);
            }
            return new UnsealResult(out.toString(), early.get());
          }
          sealed = services.spool().existing(request.restoreId(), Spool.SEALED);
          String aead = SpoolActivitiesImpl.aeadContext(backup.backupId(), backup.source());
          if (services.drivers().forBackup(backup).restoresWhileDecrypting()) {
            // The restore step decrypts as it reads: here the key is checked on the first segment
            // and the sealed file stays for it. No plaintext copy: no spool space, no extra pass.
            checkKey(backup, sealed, aead);
            return new UnsealResult(sealed.toString(), backup.rawBytes());
          }
          Path partial = dir.resolve(out.getFileName() + ".partial");
          long rawBytes;
          try (InputStream in = Files.newInputStream(sealed);
              OutputStream plain =
                  new HeartbeatingOutputStream(
                      new BufferedOutputStream(Files.newOutputStream(partial), BUFFER), context)) {
            rawBytes = new ParallelUnsealer(services.sealer()).unseal(in, plain, aead);
          } catch (VigilException e) {
            deleteQuietly(partial);
            throw keyMismatch(backup, e);
          } catch (IOException e) {
            deleteQuietly(partial);
            throw SpoolErrors.translate(
                e,
                dir,
                "decrypt",
                new VigilException(
                    ErrorType.SPOOL_MISSING, "decrypt: cannot write " + partial + ": " + e, e));
          }
          try {
            Files.move(partial, out, StandardCopyOption.ATOMIC_MOVE);
            // The sealed copy is no longer needed: half the spool space for the next step.
            Files.deleteIfExists(sealed);
          } catch (IOException e) {
            throw new VigilException(
                ErrorType.SPOOL_MISSING, "decrypt: cannot move " + partial + ": " + e, e);
          }
          return new UnsealResult(out.toString(), rawBytes);
        });
  }

  /**
   * Decrypts the first segment of {@code sealed} (a restore that decrypts as it reads): a wrong key
   * fails the decrypt step as it did when that step wrote the plaintext.
   */
  private void checkKey(SelectedBackup backup, Path sealed, String aead) {
    try (InputStream in = Files.newInputStream(sealed);
        UnsealedStream plain =
            new ParallelUnsealer(services.sealer(), 1).open(in, aead, "sealed data")) {
      plain.read();
    } catch (VigilException e) {
      throw keyMismatch(backup, e);
    } catch (IOException e) {
      throw new VigilException(
          ErrorType.SPOOL_MISSING, "decrypt: cannot read " + sealed + ": " + e, e);
    }
  }

  /** DUMP_INVALID after the SHA-256 matched: the bytes are intact, so only the key is wrong. */
  private static VigilException keyMismatch(SelectedBackup backup, VigilException e) {
    if (e.type() != ErrorType.DUMP_INVALID) {
      return e;
    }
    return new VigilException(
        ErrorType.ENCRYPTION_KEY_INVALID,
        "backup '"
            + backup.backupId()
            + "' is intact (SHA-256 verified) but does not decrypt with the configured"
            + " key '"
            + backup.keyId()
            + "'; configure the key it was sealed with under that id",
        e);
  }

  @Override
  public RestoreTarget restoreBackup(RestoreDataRequest request) {
    return Activities.run(
        () -> {
          SelectedBackup backup = request.backup();
          requireTarget(request.target());
          // A driver that decrypts as it reads finds the sealed file (or an older worker's
          // plaintext) through RestoreStep#openPlaintext.
          Path plain =
              services.drivers().forBackup(backup).restoresWhileDecrypting()
                  ? services.spool().dir(request.restoreId()).resolve(plainName(backup))
                  : services.spool().existing(request.restoreId(), plainName(backup));
          RestoreStep step = step(request, plain, Activity.getExecutionContext());
          return services.drivers().forBackup(backup).restore(step);
        });
  }

  @Override
  public ValidationResult validateRestore(ValidateRequest request) {
    return Activities.run(
        () -> {
          ActivityExecutionContext context = Activity.getExecutionContext();
          RestoreStep step =
              new RestoreStep(
                  services,
                  roots,
                  request.restoreId(),
                  request.backup(),
                  request.target(),
                  false,
                  0,
                  null,
                  context::heartbeat,
                  this::recoverIntoDirectory);
          return services.drivers().forBackup(request.backup()).validate(step);
        });
  }

  /** A restore step of {@code request} for the backup's driver. */
  private RestoreStep step(
      RestoreDataRequest request, Path plain, ActivityExecutionContext context) {
    return new RestoreStep(
        services,
        roots,
        request.restoreId(),
        request.backup(),
        requireTarget(request.target()),
        request.force(),
        request.parallelJobs(),
        plain,
        context::heartbeat,
        this::recoverIntoDirectory);
  }

  /** A physical backup restored as a data directory: its own end point, staged like a PITR. */
  private RestoreTarget recoverIntoDirectory(RestoreStep step) {
    return recover(
            new RecoveryRequest(
                step.restoreId(), step.backup(), step.target(), RecoveryTarget.backupOnly(), null),
            step.plain(),
            Activity.getExecutionContext())
        .target();
  }

  @Override
  public WalRange fetchWal(WalFetchRequest request) {
    return Activities.run(
        () -> {
          ActivityExecutionContext context = Activity.getExecutionContext();
          SelectedBackup backup = request.backup();
          Path into = services.spool().dir(request.restoreId()).resolve(WAL_DIR);
          WalStaging staging =
              new WalStaging(store(backup), services.sealer(), backup.source().name(), into, tools);
          WalRange wal =
              staging.stage(backup, request.recovery(), into, done -> context.heartbeat(done));
          log.info(
              "restore {}: {} WAL segments of source '{}' fetched ({} to {})",
              request.restoreId(),
              wal.segments(),
              backup.source().name(),
              wal.first(),
              wal.last());
          return wal;
        });
  }

  @Override
  public RecoveredPoint recoverPhysical(RecoveryRequest request) {
    return Activities.run(
        () -> {
          ActivityExecutionContext context = Activity.getExecutionContext();
          Path plain = services.spool().existing(request.restoreId(), plainName(request.backup()));
          return recover(request, plain, context);
        });
  }

  /**
   * A physical backup recovered into a fresh cluster, or (a {@code directory} target) in a staging
   * directory beside the data directory target, on a temporary server that {@link
   * #finishDataDirectory} stops and moves into place. A data directory target is checked again
   * here, on the host that writes: a request cannot skip the check step.
   */
  private RecoveredPoint recover(
      RecoveryRequest request, Path plain, ActivityExecutionContext context) {
    StagedDirectory staged = null;
    if (request.target() != null && DIRECTORY.equals(request.target().type())) {
      Path into = PostgresDriver.dataDirectoryTarget(roots, request.backup(), request.target());
      DataDirectories.check(into);
      staged = new StagedDirectory(into, request.restoreId());
    }
    return pointInTime.recover(
        request,
        plain,
        services.spool().dir(request.restoreId()).resolve(WAL_DIR),
        PostgresDriver.postgresSource(
            services.config().sources().get(request.backup().source().name()), request.backup()),
        services.spool().root().resolve(PostgresDriver.CLUSTERS).resolve(request.restoreId()),
        staged,
        context::heartbeat);
  }

  @Override
  public RestoreTarget finishDataDirectory(String restoreId) {
    return Activities.run(
        () -> {
          Path staging =
              FreshClusters.shared()
                  .stopKeepingData(restoreId)
                  .orElseThrow(
                      () ->
                          new VigilException(
                              ErrorType.RESTORE_FAILED,
                              "restore "
                                  + restoreId
                                  + ": its temporary PostgreSQL server is not running on this"
                                  + " worker (did the worker restart?); restore again"));
          Path into = dataDirectoryOf(staging, restoreId);
          StagedDirectory staged = new StagedDirectory(into, restoreId);
          try {
            PointInTimeRecovery.removeRecoverySettings(staging);
            DataDirectories.check(into);
            staged.install(PosixFilePermissions.fromString("rwx------"));
          } catch (VigilException e) {
            // Someone put something into the target meanwhile: it stays as it is.
            staged.discard();
            throw e;
          } catch (IOException | RuntimeException e) {
            staged.discard();
            throw new VigilException(
                ErrorType.RESTORE_FAILED,
                "restore "
                    + restoreId
                    + ": cannot move the recovered data directory into "
                    + into
                    + ": "
                    + e.getMessage()
                    + "; the target is as it was",
                e);
          }
          log.info("restore {}: data directory {} recovered and stopped", restoreId, into);
          return new RestoreTarget(
              RestoreWorkflowImpl.DATA_DIRECTORY, null, 0, null, null, null, into.toString());
        });
  }

  /** The target a staging directory {@code .<name>.vigil-staging-<restore-id>} stands for. */
  private static Path dataDirectoryOf(Path staging, String restoreId) {
    String name = staging.getFileName().toString();
    String suffix = ".vigil-staging-" + restoreId;
    return staging.resolveSibling(name.substring(1, name.length() - suffix.length()));
  }

  @Override
  public void discardEarlyLoad(RestoreDataRequest request) {
    Activities.run(
        () -> {
          if (Files.isDirectory(services.spool().dir(request.restoreId()))) {
            RestoreStep step = step(request, null, Activity.getExecutionContext());
            services.drivers().forBackup(request.backup()).discardEarlyLoad(step);
          }
        });
  }

  @Override
  public void cleanRestoreSpool(String restoreId) {
    Activities.run(
        () -> {
          try {
            services.spool().delete(restoreId);
          } catch (IOException e) {
            throw new VigilException(
                ErrorType.SPOOL_MISSING, "cannot clean spool of " + restoreId + ": " + e, e);
          }
        });
  }

  @Override
  public void stopFreshCluster(String restoreId) {
    if (FreshClusters.shared().stop(restoreId)) {
      log.info("fresh cluster of restore {} stopped and deleted", restoreId);
    }
    services.drivers().stopFresh(restoreId);
  }

  private static RestoreTarget requireTarget(RestoreTarget target) {
    if (target == null || target.type() == null) {
      throw new VigilException(ErrorType.INVALID_CONFIG, "a restore needs a target");
    }
    return target;
  }

  private ObjectStore store(SelectedBackup backup) {
    ObjectStore store = services.store(backup.source().repository());
    if (backup.bucket() != null && !backup.bucket().equals(store.bucket())) {
      throw new VigilException(
          ErrorType.INVALID_CONFIG,
          "backup '"
              + backup.backupId()
              + "' is in bucket '"
              + backup.bucket()
              + "' but repository '"
              + backup.source().repository()
              + "' is now bucket '"
              + store.bucket()
              + "'; configure a repository for the old bucket");
    }
    return store;
  }

  private String plainName(SelectedBackup backup) {
    return services.drivers().forBackup(backup).restoreFileName(backup.format());
  }

  private static long size(Path file) {
    try {
      return Files.size(file);
    } catch (IOException e) {
      throw new VigilException(ErrorType.SPOOL_MISSING, "spool file " + file + " is gone", e);
    }
  }

  private static void deleteQuietly(Path file) {
    try {
      Files.deleteIfExists(file);
    } catch (IOException e) {
      log.debug("{} left behind: {}", file, e.getMessage());
    }
  }

  /** Heartbeats the bytes written every 64 MiB, so a long decrypt shows progress. */
  private static final class HeartbeatingOutputStream extends FilterOutputStream {
    private final ActivityExecutionContext context;
    private long written;
    private long reported;

    HeartbeatingOutputStream(OutputStream out, ActivityExecutionContext context) {
      super(out);
      this.context = context;
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      out.write(b, off, len);
      written += len;
      if (written - reported >= 64L * BUFFER) {
        context.heartbeat(written);
        reported = written;
      }
    }
  }
}
