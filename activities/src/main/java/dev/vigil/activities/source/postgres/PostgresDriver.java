package dev.vigil.activities.source.postgres;

import com.fasterxml.jackson.core.JsonGenerator;
import dev.vigil.activities.backup.DumpMeta;
import dev.vigil.activities.backup.PhysicalMeta;
import dev.vigil.activities.backup.Spool;
import dev.vigil.activities.common.Json;
import dev.vigil.activities.common.SpoolErrors;
import dev.vigil.activities.common.VigilException;
import dev.vigil.activities.config.ConfigNode;
import dev.vigil.activities.config.PostgresSourceConfig;
import dev.vigil.activities.config.RowArchivalConfig;
import dev.vigil.activities.config.RowArchivalConfigParser;
import dev.vigil.activities.config.SourceConfig;
import dev.vigil.activities.config.ValidationConfig;
import dev.vigil.activities.config.ValidationConfigParser;
import dev.vigil.activities.restore.BackupManifest;
import dev.vigil.activities.restore.DataDirectories;
import dev.vigil.activities.restore.EarlyLoad;
import dev.vigil.activities.restore.FreshClusters;
import dev.vigil.activities.restore.PostgresRestorer;
import dev.vigil.activities.restore.RestoreRoots;
import dev.vigil.activities.restore.RestoreStep;
import dev.vigil.activities.restore.SafeTarExtractor;
import dev.vigil.activities.source.DrillScratch;
import dev.vigil.activities.source.DumpStep;
import dev.vigil.activities.source.PgBaseBackup;
import dev.vigil.activities.source.PgDump;
import dev.vigil.activities.source.PgTools;
import dev.vigil.activities.source.PhysicalDump;
import dev.vigil.activities.source.PostgresDumper;
import dev.vigil.activities.source.SourceDriver;
import dev.vigil.activities.source.SourceDump;
import dev.vigil.activities.source.SourceSpec;
import dev.vigil.activities.source.StreamedDump;
import dev.vigil.workflows.common.ErrorType;
import dev.vigil.workflows.drill.DrillSource;
import dev.vigil.workflows.restore.RestoreTarget;
import dev.vigil.workflows.restore.SelectedBackup;
import dev.vigil.workflows.restore.ValidationResult;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * PostgreSQL ({@code type: postgres}): a logical dump of one database with pg_dump ({@code mode:
 * logical}, restored with pg_restore into a database or a fresh cluster), or a physical copy of the
 * whole cluster with pg_basebackup ({@code mode: physical}, restored into a fresh cluster or a data
 * directory, with WAL replay to a point in time by the restore workflow's PITR steps).
 */
public final class PostgresDriver implements SourceDriver {
  private static final Logger log = LoggerFactory.getLogger(PostgresDriver.class);

  /** The format of a pg_dump custom-format dump. */
  public static final String LOGICAL_FORMAT = "pg_dump-custom";

  /** The decrypted PostgreSQL dump pg_restore reads (it needs a seekable file for -j). */
  public static final String RESTORE_DUMP = "restore.pgc";

  /** The directory under the spool root that fresh clusters live in. */
  public static final String CLUSTERS = "clusters";

  private static final String FRESH_CLUSTER = "fresh-cluster";
  private static final String DATABASE = "database";
  private static final String DIRECTORY = "directory";

  private final PostgresRestorer postgres = new PostgresRestorer(PgTools.locate());

  @Override
  public String type() {
    return "postgres";
  }

  @Override
  public Set<String> formats() {
    return Set.of(LOGICAL_FORMAT, PgBaseBackup.FORMAT);
  }

  @Override
  public SourceConfig parse(SourceSpec spec) {
    ConfigNode source = spec.node();
    spec.allow(
        "validations",
        "archive-rows",
        "host",
        "port",
        "database",
        "user",
        "password-env",
        "password-file",
        "mode",
        "checkpoint");
    spec.validations().put(source.key, ValidationConfigParser.parse(source));
    RowArchivalConfig rows = RowArchivalConfigParser.parse(source);
    if (rows != null) {
      spec.rowArchival().put(source.key, rows);
    }
    String mode =
        source.oneOf(
            "mode",
            PostgresSourceConfig.LOGICAL,
            Set.of(PostgresSourceConfig.LOGICAL, PostgresSourceConfig.PHYSICAL));
    String checkpoint = source.oneOf("checkpoint", "fast", Set.of("fast", "spread"));
    if (PostgresSourceConfig.LOGICAL.equals(mode) && source.text("checkpoint", null) != null) {
      source.problem(
          "checkpoint",
          "applies only to mode: physical (pg_basebackup); remove it or set mode: physical");
    }
    return new PostgresSourceConfig(
        source.key,
        spec.repository(),
        source.requiredText("host"),
        source.integer("port", 5432, 1, 65535),
        source.requiredText("database"),
        source.requiredText("user"),
        source.secret("password", false),
        spec.compression(),
        spec.objectives(),
        mode,
        "fast".equals(checkpoint));
  }

  @Override
  public SourceDump dump(SourceConfig configured, DumpStep step) {
    PostgresSourceConfig postgres = (PostgresSourceConfig) configured;
    String password =
        step.services().secret(postgres.password(), "source '" + postgres.name() + "'");
    if (postgres.physical()) {
      PhysicalDump dump =
          step.services()
              .postgresDumper()
              .baseBackup(postgres, password, step.dir(), step.heartbeat()::accept);
      writeJson(
          step.dir().resolve(Spool.PHYSICAL),
          new PhysicalMeta(
              dump.startLsn(),
              dump.stopLsn(),
              dump.timeline(),
              dump.startedAt().toString(),
              dump.stoppedAt().toString(),
              postgres.fastCheckpoint() ? "fast" : "spread"));
      // Recorded now, while the row is RUNNING: ARCHIVED later keeps it.
      step.services().catalog().recordPhysical(step.backupId(), dump);
      return new SourceDump(
          new DumpMeta(PgBaseBackup.FORMAT, PgBaseBackup.ARCHIVE, Spool.PHYSICAL, List.of()),
          dump.bytes(),
          0,
          0,
          dump.stoppedAt(),
          dump.toolVersion(),
          null);
    }
    PgDump dump =
        step.services()
            .postgresDumper()
            .dump(postgres, password, step.dir(), step.heartbeat()::accept);
    return logical(dump);
  }

  /** A logical dump as the steps after it see it; its raw file's name even when streamed. */
  private static SourceDump logical(PgDump dump) {
    return new SourceDump(
        new DumpMeta(LOGICAL_FORMAT, PostgresDumper.DUMP_FILE, Spool.TABLES, List.of()),
        dump.bytes(),
        dump.tables(),
        dump.totalRows(),
        dump.consistentAt(),
        dump.pgDumpVersion(),
        dump.serverVersion());
  }

  /** A logical dump streams (pg_dump writes its archive to a pipe); a physical copy does not. */
  @Override
  public boolean streamsDump(SourceConfig source) {
    return !((PostgresSourceConfig) source).physical();
  }

  @Override
  public StreamedDump dumpInto(SourceConfig configured, DumpStep step, OutputStream sink) {
    PostgresSourceConfig postgres = (PostgresSourceConfig) configured;
    String password =
        step.services().secret(postgres.password(), "source '" + postgres.name() + "'");
    PostgresDumper.Streamed streamed =
        step.services()
            .postgresDumper()
            .dumpInto(postgres, password, step.dir(), sink, step.heartbeat()::accept);
    return new StreamedDump(logical(streamed.dump()), streamed.listedEntries());
  }

  @Override
  public long verify(DumpMeta meta, Path raw, Path listFile, DumpStep step) {
    if (PgBaseBackup.FORMAT.equals(meta.format())) {
      return PgBaseBackup.verify(raw, step.heartbeat()::accept);
    }
    return step.services().postgresDumper().listEntries(raw);
  }

  @Override
  public void writeManifest(JsonGenerator json, DumpMeta meta, Path listFile) throws IOException {
    if (PgBaseBackup.FORMAT.equals(meta.format())) {
      // A physical backup: where its WAL starts and ends, for PITR and WAL retention.
      json.writeFieldName("physical");
      json.writeTree(Json.MAPPER.readTree(listFile.toFile()));
      return;
    }
    json.writeFieldName("tables");
    json.writeTree(Json.MAPPER.readTree(listFile.toFile()));
    // A database dump's roles lie beside its row counts (absent in spools of older versions).
    Path roles = listFile.resolveSibling(Spool.ROLES);
    if (Files.isRegularFile(roles)) {
      json.writeFieldName("roles");
      json.writeTree(Json.MAPPER.readTree(roles.toFile()));
    }
  }

  @Override
  public String restoreFileName(String format) {
    return PgBaseBackup.FORMAT.equals(format) ? PgBaseBackup.ARCHIVE : RESTORE_DUMP;
  }

  @Override
  public void checkTarget(RestoreStep step) {
    SelectedBackup backup = step.backup();
    RestoreTarget target = step.target();
    if (PgBaseBackup.FORMAT.equals(backup.format())) {
      if (DIRECTORY.equals(target.type())) {
        Path into = dataDirectoryTarget(step.roots(), backup, target);
        DataDirectories.check(into);
        RestoreRoots.requireWritable(into);
      } else {
        requireFreshCluster(backup, target);
      }
    } else if (DATABASE.equals(target.type())) {
      postgres.checkTarget(database(step, target), step.force() || step.claimedBefore());
    } else if (!FRESH_CLUSTER.equals(target.type())) {
      throw notADumpTarget(backup, target);
    }
  }

  /**
   * A dump restored into a database that does not exist yet: the database is created and {@code
   * pg_restore --section=pre-data --section=data} reads the plaintext from standard input as the
   * download decrypts it, in one session, so tables and rows are in when the download ends; the
   * restore step then runs the post-data section with {@code -j}. Not into a database that exists
   * (even empty: undoing means dropping it), a fresh cluster, or a physical backup.
   */
  @Override
  public EarlyLoad loadWhileDownloading(RestoreStep step) {
    SelectedBackup backup = step.backup();
    RestoreTarget target = step.target();
    if (!LOGICAL_FORMAT.equals(backup.format())
        || !DATABASE.equals(target.type())
        || step.claimedBefore()) {
      return null;
    }
    PostgresRestorer.Database database = database(step, target);
    undoEarlierLoad(step, database);
    if (EarlyLoad.loaded(step.dir(), backup.sha256())) {
      return null; // an earlier attempt loaded it; the download only completes the spool file
    }
    if (!postgres.createIfAbsent(database)) {
      return null;
    }
    // Created by this restore: from here on, undoing the load is dropping it.
    EarlyLoad.markStarted(step.dir());
    PgTools.Piped load;
    try {
      postgres.createRoles(database, step.manifest().roles(), false);
      load = postgres.startLoad(database);
    } catch (RuntimeException e) {
      postgres.dropDatabase(database);
      EarlyLoad.forget(step.dir());
      throw e;
    }
    log.info(
        "restore {}: loading {} while the download runs", step.restoreId(), database.describe());
    return EarlyLoad.of(
        step.dir(),
        database.describe(),
        new EarlyLoad.Loader() {
          @Override
          public OutputStream input() {
            return load.stdin();
          }

          @Override
          public void await(Runnable heartbeat) throws InterruptedException {
            postgres.requireSuccess(load.await(Duration.ofSeconds(2), heartbeat), database);
          }

          @Override
          public void stop() {
            load.destroy();
          }

          @Override
          public void undo() {
            postgres.dropDatabase(database);
          }
        });
  }

  @Override
  public void discardEarlyLoad(RestoreStep step) {
    if (!DATABASE.equals(step.target().type()) || !EarlyLoad.createdTarget(step.dir())) {
      return;
    }
    PostgresRestorer.Database database = database(step, step.target());
    log.info(
        "restore {}: dropping {}, created to load during the download, as the restore did not"
            + " complete",
        step.restoreId(),
        database.describe());
    postgres.dropDatabase(database);
    EarlyLoad.forgetAll(step.dir());
  }

  /** A load an earlier attempt began and did not finish: its database goes first. */
  private void undoEarlierLoad(RestoreStep step, PostgresRestorer.Database database) {
    if (EarlyLoad.startedBefore(step.dir())) {
      log.info(
          "restore {}: dropping {}, created by an earlier attempt whose load did not finish",
          step.restoreId(),
          database.describe());
      postgres.dropDatabase(database);
      EarlyLoad.forget(step.dir());
    }
  }

  @Override
  public RestoreTarget restore(RestoreStep step) {
    SelectedBackup backup = step.backup();
    RestoreTarget target = step.target();
    if (PgBaseBackup.FORMAT.equals(backup.format())) {
      if (DIRECTORY.equals(target.type())) {
        // The base backup's own end point, through the same staged start as a recovery.
        return step.recoverIntoDirectory().apply(step);
      }
      return restorePhysical(step);
    }
    boolean claimedBefore = step.claimedBefore();
    int jobs =
        step.parallelJobs() > 0
            ? step.parallelJobs()
            : Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors()));
    if (DATABASE.equals(target.type())) {
      PostgresRestorer.Database database = database(step, target);
      undoEarlierLoad(step, database);
      if (EarlyLoad.loaded(step.dir(), backup.sha256())) {
        // Tables, rows, sequences and large objects came in during the download, which verify
        // has since matched with the catalog: the indexes, constraints and triggers remain. A
        // retry drops what an earlier attempt of them built first.
        step.claim();
        postgres.restore(
            database,
            step.plain(),
            jobs,
            claimedBefore,
            PostgresRestorer.Sections.POST_DATA,
            () -> step.heartbeat().accept(null));
        return databaseTarget(database, target);
      }
    }
    RestoreTarget restored;
    PostgresRestorer.Database database;
    boolean clean;
    if (FRESH_CLUSTER.equals(target.type())) {
      SourceConfig source = step.source();
      String superuser =
          source instanceof PostgresSourceConfig pg && pg.user() != null ? pg.user() : "vigil";
      String name =
          target.database() != null
              ? target.database()
              : source instanceof PostgresSourceConfig pg ? pg.database() : "restored";
      FreshClusters.Started started =
          FreshClusters.shared().start(step.restoreId(), clusterDir(step), superuser);
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
              FRESH_CLUSTER,
              database.host(),
              database.port(),
              name,
              superuser,
              started.passwordFile().toString(),
              null);
      log.info(
          "restore {}: fresh cluster at {}:{} (data under {})",
          step.restoreId(),
          database.host(),
          database.port(),
          started.passwordFile().getParent());
    } else if (DATABASE.equals(target.type())) {
      database = database(step, target);
      clean = postgres.prepare(database, step.force(), claimedBefore);
      step.claim();
      restored = databaseTarget(database, target);
    } else {
      throw notADumpTarget(backup, target);
    }
    // GRANTs in the dump name the source's roles: create those the target lacks first.
    postgres.createRoles(database, step.manifest().roles(), FRESH_CLUSTER.equals(target.type()));
    postgres.restore(
        database,
        step.plain(),
        jobs,
        clean,
        PostgresRestorer.Sections.ALL,
        () -> step.heartbeat().accept(null));
    return restored;
  }

  private static RestoreTarget databaseTarget(
      PostgresRestorer.Database database, RestoreTarget target) {
    return new RestoreTarget(
        DATABASE,
        database.host(),
        database.port(),
        database.database(),
        database.user(),
        target.passwordFile(),
        null);
  }

  @Override
  public ValidationResult validate(RestoreStep step) {
    SelectedBackup backup = step.backup();
    List<ValidationConfig> queries =
        step.services().config().validations().getOrDefault(backup.source().name(), List.of());
    // A physical backup records no row counts (it copies files, not a snapshot's rows):
    // the configured queries are its checks.
    List<BackupManifest.TableCount> tables =
        PgBaseBackup.FORMAT.equals(backup.format()) ? List.of() : step.manifest().tables();
    return postgres.validate(database(step, step.target()), tables, queries);
  }

  @Override
  public RestoreTarget drillTarget(DrillSource source, DrillScratch drill) {
    return drill.sharedDatabase(source.name());
  }

  @Override
  public String databaseName(SourceConfig source) {
    return ((PostgresSourceConfig) source).database();
  }

  /**
   * Unpacks a physical backup into a new data directory (base.tar, then pg_wal.tar into its pg_wal,
   * both through {@link SafeTarExtractor}) and starts a cluster on it, which replays the backup's
   * own WAL and opens. The source's roles and passwords come with the files; the source's user gets
   * a new random password in the cluster, kept in a 0600 file beside it.
   */
  private RestoreTarget restorePhysical(RestoreStep step) {
    SelectedBackup backup = step.backup();
    RestoreTarget target = requireFreshCluster(backup, step.target());
    PostgresSourceConfig pg =
        postgresSource(step.services().config().sources().get(backup.source().name()), backup);
    String name = target.database() != null ? target.database() : pg.database();
    FreshClusters.Started started =
        FreshClusters.shared()
            .startRestored(
                step.restoreId(),
                clusterDir(step),
                pg.user(),
                dataDir ->
                    PgBaseBackup.unpack(
                        step.plain(),
                        dataDir,
                        (tar, into) ->
                            SafeTarExtractor.extract(
                                tar, into, SafeTarExtractor.NO_CHECKS, step.heartbeat()::accept)));
    log.info(
        "restore {}: physical backup {} started at {}:{}",
        step.restoreId(),
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
  public static PostgresSourceConfig postgresSource(SourceConfig source, SelectedBackup backup) {
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

  /** Where fresh clusters of {@code step}'s restore live, outliving its spool directory. */
  private static Path clusterDir(RestoreStep step) {
    return step.services().spool().root().resolve(CLUSTERS).resolve(step.restoreId());
  }

  public static RestoreTarget requireFreshCluster(SelectedBackup backup, RestoreTarget target) {
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
  public static Path dataDirectoryTarget(
      RestoreRoots roots, SelectedBackup backup, RestoreTarget target) {
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

  private static VigilException notADumpTarget(SelectedBackup backup, RestoreTarget target) {
    return new VigilException(
        ErrorType.INVALID_CONFIG,
        "backup '"
            + backup.backupId()
            + "' is a PostgreSQL dump; restore it into a database (--target-db) or a"
            + " fresh cluster (--fresh-cluster), not a "
            + target.type());
  }

  /**
   * The database a restore writes to or validates: the target's fields where given, the source's
   * (host, port, user, password) otherwise.
   */
  private static PostgresRestorer.Database database(RestoreStep step, RestoreTarget target) {
    SelectedBackup backup = step.backup();
    SourceConfig configured = step.source();
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
      password = step.services().secret(source.password(), "source '" + source.name() + "'");
    } else {
      password =
          PgTools.pgpassPassword(PgTools.defaultPgpassFile(), host, port, target.database(), user)
              .orElse(null);
    }
    return new PostgresRestorer.Database(host, port, target.database(), user, password);
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

  private static void writeJson(Path file, Object value) {
    try {
      Json.MAPPER.writeValue(file.toFile(), value);
    } catch (IOException e) {
      throw SpoolErrors.translate(
          e,
          file.getParent(),
          "dump",
          new VigilException(ErrorType.SPOOL_MISSING, "dump: cannot write " + file + ": " + e, e));
    }
  }
}
