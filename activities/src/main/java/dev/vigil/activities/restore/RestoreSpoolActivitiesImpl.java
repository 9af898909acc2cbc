package dev.vigil.activities.restore;

import dev.vigil.activities.VigilServices;
import dev.vigil.activities.backup.ManifestMac;
import dev.vigil.activities.backup.Spool;
import dev.vigil.activities.backup.SpoolActivitiesImpl;
import dev.vigil.activities.common.Activities;
import dev.vigil.activities.common.SpoolErrors;
import dev.vigil.activities.common.VigilException;
import dev.vigil.activities.config.PostgresSourceConfig;
import dev.vigil.activities.config.SourceConfig;
import dev.vigil.activities.config.ValidationConfig;
import dev.vigil.activities.source.PgBaseBackup;
import dev.vigil.activities.source.PgTools;
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
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The restore steps on the host that holds the restore's spool directory ({@code
 * <spool-dir>/<restore-id>}): download, verify, decrypt, restore, validate. A fresh cluster lives
 * in {@code <spool-dir>/clusters/<restore-id>} and outlives the spool directory.
 */
public final class RestoreSpoolActivitiesImpl implements RestoreSpoolActivities {
  private static final Logger log = LoggerFactory.getLogger(RestoreSpoolActivitiesImpl.class);

  /** The decrypted PostgreSQL dump pg_restore reads (it needs a seekable file for -j). */
  public static final String RESTORE_DUMP = "restore.pgc";

  /** The decrypted tar of a directory backup. */
  public static final String RESTORE_ARCHIVE = "archive.tar";

  /** Written once the target was found empty: a retried attempt may replace what is there. */
  static final String CLAIMED = "target.claimed";

  private static final String FRESH_CLUSTER = "fresh-cluster";

  private static final String DIRECTORY = "directory";

  /** The directory under the spool root that fresh clusters live in. */
  public static final String CLUSTERS = "clusters";

  private static final int BUFFER = 1 << 20;

  /** The spool directory a point-in-time restore fetches the archived WAL into. */
  static final String WAL_DIR = "wal";

  private final VigilServices services;
  private final BackupDownloader downloader = new BackupDownloader();
  private final DirectoryRestorer directories = new DirectoryRestorer();
  private final PgTools tools = PgTools.locate();
  private final PostgresRestorer postgres = new PostgresRestorer(tools);
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
          SelectedBackup backup = request.backup();
          RestoreTarget target = requireTarget(request.target());
          boolean replace =
              request.force()
                  || Files.exists(services.spool().dir(request.restoreId()).resolve(CLAIMED));
          if (PgBaseBackup.FORMAT.equals(backup.format())) {
            if (DIRECTORY.equals(target.type())) {
              Path into = dataDirectoryTarget(backup, target);
              checkDataDirectory(into);
              requireWritable(into);
            } else {
              requireFreshCluster(backup, target);
            }
          } else if ("tar".equals(backup.format())) {
            Path into = directoryTarget(backup, target);
            directories.checkTarget(into, replace);
            requireWritable(into);
          } else if ("database".equals(target.type())) {
            postgres.checkTarget(database(backup, target), replace);
          } else if (!FRESH_CLUSTER.equals(target.type())) {
            throw notADumpTarget(backup, target);
          }
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
          return downloader.download(
              store, backup.objectKey(), file, backup.storedBytes(), resume, context::heartbeat);
        });
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
                    + " (bit rot or tampering); nothing was decrypted, restore another backup");
          }
          if (backup.keyId() != null) {
            services.keys().require(backup.keyId(), "backup '" + backup.backupId() + "'");
          }
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
          Path manifest = services.spool().dir(request.restoreId()).resolve(Spool.MANIFEST);
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
                  backup)
              .summary();
        });
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
          sealed = services.spool().existing(request.restoreId(), Spool.SEALED);
          Path partial = dir.resolve(out.getFileName() + ".partial");
          String aead = SpoolActivitiesImpl.aeadContext(backup.backupId(), backup.source());
          long rawBytes;
          try (InputStream in = Files.newInputStream(sealed);
              OutputStream plain =
                  new HeartbeatingOutputStream(
                      new BufferedOutputStream(Files.newOutputStream(partial), BUFFER), context)) {
            rawBytes = services.sealer().unseal(in, plain, aead);
          } catch (VigilException e) {
            deleteQuietly(partial);
            if (e.type() == ErrorType.DUMP_INVALID) {
              // The stored bytes matched their SHA-256, so they are intact: only the key is wrong.
              throw new VigilException(
                  ErrorType.ENCRYPTION_KEY_INVALID,
                  "backup '"
                      + backup.backupId()
                      + "' is intact (SHA-256 verified) but does not decrypt with the configured"
                      + " key '"
                      + backup.keyId()
                      + "'; configure the key it was sealed with under that id",
                  e);
            }
            throw e;
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

  @Override
  public RestoreTarget restoreBackup(RestoreDataRequest request) {
    return Activities.run(
        () -> {
          ActivityExecutionContext context = Activity.getExecutionContext();
          SelectedBackup backup = request.backup();
          Path dir = services.spool().dir(request.restoreId());
          Path plain = services.spool().existing(request.restoreId(), plainName(backup));
          Path claimed = dir.resolve(CLAIMED);
          boolean claimedBefore = Files.exists(claimed);
          RestoreTarget target = requireTarget(request.target());
          if (PgBaseBackup.FORMAT.equals(backup.format())) {
            if (DIRECTORY.equals(target.type())) {
              // The base backup's own end point, through the same staged start as a recovery.
              return recover(
                      new RecoveryRequest(
                          request.restoreId(), backup, target, RecoveryTarget.backupOnly(), null),
                      plain,
                      context)
                  .target();
            }
            return restorePhysical(request, plain, context);
          }
          if ("tar".equals(backup.format())) {
            // Checked again here, on the host that writes: a request cannot skip the check step.
            Path into = directoryTarget(backup, target);
            boolean replace = request.force() || claimedBefore;
            directories.checkTarget(into, replace);
            mark(claimed);
            BackupManifest manifest = manifest(request.restoreId());
            try (InputStream in = Files.newInputStream(plain);
                BackupManifest.FileList files = manifest.files()) {
              directories.restore(
                  in, into, request.restoreId(), replace, files, context::heartbeat);
            } catch (IOException e) {
              throw new VigilException(
                  ErrorType.SPOOL_MISSING, "restore: cannot read " + plain + ": " + e, e);
            }
            return new RestoreTarget("directory", null, 0, null, null, null, into.toString());
          }
          int jobs =
              request.parallelJobs() > 0
                  ? request.parallelJobs()
                  : Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors()));
          RestoreTarget restored;
          PostgresRestorer.Database database;
          boolean clean;
          if (FRESH_CLUSTER.equals(target.type())) {
            SourceConfig source = services.config().sources().get(backup.source().name());
            String superuser =
                source instanceof PostgresSourceConfig pg && pg.user() != null
                    ? pg.user()
                    : "vigil";
            String name =
                target.database() != null
                    ? target.database()
                    : source instanceof PostgresSourceConfig pg ? pg.database() : "restored";
            FreshClusters.Started started =
                FreshClusters.shared()
                    .start(
                        request.restoreId(),
                        services.spool().root().resolve(CLUSTERS).resolve(request.restoreId()),
                        superuser);
            database =
                new PostgresRestorer.Database(
                    started.cluster().host(),
                    started.cluster().port(),
                    name,
                    superuser,
                    read(started.passwordFile()));
            started.cluster().createDatabase(name);
            clean = false;
            restored =
                new RestoreTarget(
                    "fresh-cluster",
                    database.host(),
                    database.port(),
                    name,
                    superuser,
                    started.passwordFile().toString(),
                    null);
            log.info(
                "restore {}: fresh cluster at {}:{} (data under {})",
                request.restoreId(),
                database.host(),
                database.port(),
                started.passwordFile().getParent());
          } else if ("database".equals(target.type())) {
            database = database(backup, target);
            clean = postgres.prepare(database, request.force(), claimedBefore);
            mark(claimed);
            restored =
                new RestoreTarget(
                    "database",
                    database.host(),
                    database.port(),
                    database.database(),
                    database.user(),
                    target.passwordFile(),
                    null);
          } else {
            throw notADumpTarget(backup, target);
          }
          // GRANTs in the dump name the source's roles: create those the target lacks first.
          postgres.createRoles(
              database,
              manifest(request.restoreId()).roles(),
              "fresh-cluster".equals(target.type()));
          postgres.restore(database, plain, jobs, clean, () -> context.heartbeat(null));
          return restored;
        });
  }

  @Override
  public ValidationResult validateRestore(ValidateRequest request) {
    return Activities.run(
        () -> {
          ActivityExecutionContext context = Activity.getExecutionContext();
          SelectedBackup backup = request.backup();
          BackupManifest manifest = manifest(request.restoreId());
          if ("tar".equals(backup.format())) {
            try (BackupManifest.FileList files = manifest.files()) {
              return directories.validate(
                  Path.of(request.target().directory()), files, context::heartbeat);
            } catch (IOException e) {
              throw new VigilException(
                  ErrorType.SPOOL_MISSING, "validate: cannot read the manifest: " + e, e);
            }
          }
          List<ValidationConfig> queries =
              services.config().validations().getOrDefault(backup.source().name(), List.of());
          // A physical backup records no row counts (it copies files, not a snapshot's rows):
          // the configured queries are its checks.
          List<BackupManifest.TableCount> tables =
              PgBaseBackup.FORMAT.equals(backup.format()) ? List.of() : manifest.tables();
          return postgres.validate(database(backup, request.target()), tables, queries);
        });
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
      Path into = dataDirectoryTarget(request.backup(), request.target());
      checkDataDirectory(into);
      staged = new StagedDirectory(into, request.restoreId());
    }
    return pointInTime.recover(
        request,
        plain,
        services.spool().dir(request.restoreId()).resolve(WAL_DIR),
        postgresSource(request.backup()),
        services.spool().root().resolve(CLUSTERS).resolve(request.restoreId()),
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
            checkDataDirectory(into);
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
  }

  /**
   * Unpacks a physical backup into a new data directory (base.tar, then pg_wal.tar into its pg_wal,
   * both through {@link SafeTarExtractor}) and starts a cluster on it, which replays the backup's
   * own WAL and opens. The source's roles and passwords come with the files; the source's user gets
   * a new random password in the cluster, kept in a 0600 file beside it.
   */
  private RestoreTarget restorePhysical(
      RestoreDataRequest request, Path plain, ActivityExecutionContext context) {
    SelectedBackup backup = request.backup();
    RestoreTarget target = requireFreshCluster(backup, request.target());
    PostgresSourceConfig pg = postgresSource(backup);
    String name = target.database() != null ? target.database() : pg.database();
    FreshClusters.Started started =
        FreshClusters.shared()
            .startRestored(
                request.restoreId(),
                services.spool().root().resolve(CLUSTERS).resolve(request.restoreId()),
                pg.user(),
                dataDir ->
                    PgBaseBackup.unpack(
                        plain,
                        dataDir,
                        (tar, into) ->
                            SafeTarExtractor.extract(
                                tar, into, SafeTarExtractor.NO_CHECKS, context::heartbeat)));
    log.info(
        "restore {}: physical backup {} started at {}:{}",
        request.restoreId(),
        backup.backupId(),
        started.cluster().host(),
        started.cluster().port());
    return new RestoreTarget(
        FRESH_CLUSTER,
        started.cluster().host(),
        started.cluster().port(),
        name,
        pg.user(),
        started.passwordFile().toString(),
        null);
  }

  /** The postgres source a physical backup belongs to: its user logs in to the restored copy. */
  private PostgresSourceConfig postgresSource(SelectedBackup backup) {
    SourceConfig source = services.config().sources().get(backup.source().name());
    if (!(source instanceof PostgresSourceConfig pg)) {
      throw new VigilException(
          ErrorType.INVALID_CONFIG,
          "backup '"
              + backup.backupId()
              + "' is a physical backup of source '"
              + backup.source().name()
              + "', which is not a postgres source on this worker; its user is needed to log in");
    }
    return pg;
  }

  static RestoreTarget requireFreshCluster(SelectedBackup backup, RestoreTarget target) {
    if (target == null || !FRESH_CLUSTER.equals(target.type())) {
      throw new VigilException(
          ErrorType.INVALID_CONFIG,
          "backup '"
              + backup.backupId()
              + "' is a physical backup of a whole cluster; restore it into a fresh cluster"
              + " (--fresh-cluster) or a data directory (--target-dir)");
    }
    return target;
  }

  /** The real path of a physical backup's data directory target, inside the restore roots. */
  private Path dataDirectoryTarget(SelectedBackup backup, RestoreTarget target) {
    if (target.directory() == null) {
      throw new VigilException(
          ErrorType.INVALID_CONFIG,
          "backup '"
              + backup.backupId()
              + "' is a physical backup; name the data directory to restore it into"
              + " (--target-dir)");
    }
    return roots.check(target.directory());
  }

  /**
   * TARGET_NOT_EMPTY unless a data directory target is absent or empty, naming a server's {@code
   * postmaster.pid} if it holds one. --force does not apply: Vigil never empties a directory that
   * may be a live server's data directory.
   */
  private static void checkDataDirectory(Path into) {
    try {
      if (!Files.exists(into, LinkOption.NOFOLLOW_LINKS)) {
        return;
      }
      if (!Files.isDirectory(into, LinkOption.NOFOLLOW_LINKS)) {
        throw new VigilException(
            ErrorType.INVALID_CONFIG,
            "restore target " + into + " exists and is not a directory; name a directory");
      }
      Path pid = into.resolve("postmaster.pid");
      if (Files.exists(pid, LinkOption.NOFOLLOW_LINKS)) {
        throw new VigilException(
            ErrorType.TARGET_NOT_EMPTY,
            "restore target "
                + into
                + " holds "
                + pid
                + ": a PostgreSQL server may be running on it; stop that server and move its"
                + " data directory away, or restore into an empty or new directory");
      }
      try (Stream<Path> children = Files.list(into)) {
        Optional<Path> present = children.sorted().findFirst();
        if (present.isPresent()) {
          throw new VigilException(
              ErrorType.TARGET_NOT_EMPTY,
              "restore target "
                  + into
                  + " is not empty (it holds "
                  + present.get().getFileName()
                  + "); a physical backup is restored only into an empty or new directory"
                  + " (--force does not replace a data directory)");
        }
      }
    } catch (IOException e) {
      throw new VigilException(
          ErrorType.RESTORE_FAILED, "cannot read restore target " + into + ": " + e, e);
    }
  }

  /**
   * The real path of a directory backup's target, once it is known to be a directory target inside
   * the worker's restore roots; INVALID_CONFIG or RESTORE_TARGET_FORBIDDEN otherwise.
   */
  private Path directoryTarget(SelectedBackup backup, RestoreTarget target) {
    if (target == null || !"directory".equals(target.type()) || target.directory() == null) {
      throw new VigilException(
          ErrorType.INVALID_CONFIG,
          "backup '"
              + backup.backupId()
              + "' is a directory; restore it into a directory (--target-dir)");
    }
    return roots.check(target.directory());
  }

  private static RestoreTarget requireTarget(RestoreTarget target) {
    if (target == null || target.type() == null) {
      throw new VigilException(ErrorType.INVALID_CONFIG, "a restore needs a target");
    }
    return target;
  }

  private static VigilException notADumpTarget(SelectedBackup backup, RestoreTarget target) {
    return new VigilException(
        ErrorType.INVALID_CONFIG,
        "backup '"
            + backup.backupId()
            + "' is a PostgreSQL dump; restore it into a database (--target-db) or a"
            + " fresh cluster (--fresh-cluster), not a "
            + target.type());
  }

  /** INVALID_CONFIG unless the worker may write where the target is (or would be created). */
  private static void requireWritable(Path target) {
    Path existing = target;
    while (existing != null && !Files.exists(existing)) {
      existing = existing.getParent();
    }
    if (existing == null || !Files.isWritable(existing)) {
      throw new VigilException(
          ErrorType.INVALID_CONFIG,
          "restore target "
              + target
              + " is not writable by the worker ("
              + existing
              + "); fix its permissions or restore elsewhere");
    }
  }

  /**
   * The database a restore writes to or validates: the target's fields where given, the source's
   * (host, port, user, password) otherwise.
   */
  private PostgresRestorer.Database database(SelectedBackup backup, RestoreTarget target) {
    SourceConfig configured = services.config().sources().get(backup.source().name());
    PostgresSourceConfig source = configured instanceof PostgresSourceConfig pg ? pg : null;
    String host = target.host() != null ? target.host() : source == null ? null : source.host();
    int port = target.port() > 0 ? target.port() : source == null ? 0 : source.port();
    String user = target.user() != null ? target.user() : source == null ? null : source.user();
    if (host == null || port <= 0 || user == null || target.database() == null) {
      throw new VigilException(
          ErrorType.INVALID_CONFIG,
          "restore target for backup '"
              + backup.backupId()
              + "' needs a database name, host, port and user; source '"
              + backup.source().name()
              + "' is not configured on this worker to supply them");
    }
    String password;
    if (target.passwordFile() != null) {
      password = read(Path.of(target.passwordFile()));
    } else if (source != null && source.password() != null && source.password().isSet()) {
      password = services.secret(source.password(), "source '" + source.name() + "'");
    } else {
      password =
          PgTools.pgpassPassword(PgTools.defaultPgpassFile(), host, port, target.database(), user)
              .orElse(null);
    }
    return new PostgresRestorer.Database(host, port, target.database(), user, password);
  }

  private BackupManifest manifest(String restoreId) {
    // Verified by the verify step on this host; the spool directory is private to the worker.
    return BackupManifest.trusted(services.spool().existing(restoreId, Spool.MANIFEST));
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

  private static String plainName(SelectedBackup backup) {
    if (PgBaseBackup.FORMAT.equals(backup.format())) {
      return PgBaseBackup.ARCHIVE;
    }
    return "tar".equals(backup.format()) ? RESTORE_ARCHIVE : RESTORE_DUMP;
  }

  private static void mark(Path claimed) {
    try {
      Files.writeString(claimed, "claimed\n");
    } catch (IOException e) {
      throw new VigilException(ErrorType.SPOOL_MISSING, "cannot write " + claimed + ": " + e, e);
    }
  }

  private static String read(Path passwordFile) {
    try {
      return Files.readString(passwordFile, StandardCharsets.UTF_8).strip();
    } catch (IOException e) {
      throw new VigilException(
          ErrorType.INVALID_CONFIG,
          "cannot read the restore target's password file " + passwordFile + ": " + e.getMessage(),
          e);
    }
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
