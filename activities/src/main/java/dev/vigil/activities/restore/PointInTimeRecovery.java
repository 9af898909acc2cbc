package dev.vigil.activities.restore;

import dev.vigil.activities.common.FileTrees;
import dev.vigil.activities.common.VigilException;
import dev.vigil.activities.config.PostgresSourceConfig;
import dev.vigil.activities.embedded.PostgresCluster;
import dev.vigil.activities.source.PgBaseBackup;
import dev.vigil.activities.source.postgres.PostgresDriver;
import dev.vigil.activities.wal.WalSegment;
import dev.vigil.workflows.common.ErrorType;
import dev.vigil.workflows.restore.RecoveredPoint;
import dev.vigil.workflows.restore.RecoveryRequest;
import dev.vigil.workflows.restore.RecoveryTarget;
import dev.vigil.workflows.restore.RestoreTarget;
import dev.vigil.workflows.restore.RestoreWorkflowImpl;
import dev.vigil.workflows.restore.SelectedBackup;
import dev.vigil.workflows.restore.WalRange;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Properties;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A physical base backup recovered to a point in time in a fresh cluster: the backup's files, the
 * WAL fetched into the spool linked beside the data directory, {@code recovery.signal} and the
 * recovery settings, then PostgreSQL replays and promotes, and Vigil checks where it ended.
 *
 * <p>The server's {@code restore_command} only copies from that directory: no JVM per segment, and
 * no config, key or credential in the postmaster's environment. A file it does not hold makes the
 * copy exit 1, which PostgreSQL takes as the end of the archive. Archiving stays off, so the copy
 * never pushes into the source's archive; it stays on the base backup's timeline.
 */
final class PointInTimeRecovery {
  private static final Logger log = LoggerFactory.getLogger(PointInTimeRecovery.class);

  /** Beside the data directory: the fetched WAL the server's restore_command copies from. */
  static final String RESTORE_WAL = "restore-wal";

  /** Where the settings Vigil appends to postgresql.auto.conf begin. */
  private static final String SETTINGS_HEADER = "\n# Vigil point-in-time restore\n";

  /** Inside the activity's 12 h: how long replay may take. */
  private static final Duration RECOVERY_TIMEOUT = Duration.ofHours(11);

  private static final String NOT_REACHED =
      "recovery ended before configured recovery target was reached";

  private static final DateTimeFormatter TARGET_TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSSSSS'+00'").withZone(ZoneOffset.UTC);

  /**
   * Recovers into a fresh cluster in {@code baseDir}, or, with {@code staged}, into its staging
   * directory (the server's socket, log and Vigil's client authentication in {@code baseDir}),
   * which {@code finishDataDirectory} moves into place once the server has been stopped. A failure
   * leaves no staging directory behind.
   */
  RecoveredPoint recover(
      RecoveryRequest request,
      Path plain,
      Path spoolWal,
      PostgresSourceConfig source,
      Path baseDir,
      StagedDirectory staged,
      Consumer<Object> heartbeat) {
    SelectedBackup backup = request.backup();
    RestoreTarget target =
        staged == null
            ? PostgresDriver.requireFreshCluster(backup, request.target())
            : request.target();
    RecoveryTarget recovery = request.recovery();
    WalRange wal = request.wal();
    boolean replay = wal != null && wal.segments() > 0;
    FreshClusters.DataDirWriter writer =
        dataDir -> {
          PgBaseBackup.unpack(
              plain,
              dataDir,
              (tar, into) ->
                  SafeTarExtractor.extract(
                      tar, into, SafeTarExtractor.NO_CHECKS, bytes -> heartbeat.accept(bytes)));
          if (replay) {
            configureRecovery(dataDir, baseDir.resolve(RESTORE_WAL), spoolWal, recovery);
          }
        };
    FreshClusters.Started started;
    try {
      started =
          staged != null
              ? startStaged(request, staged, baseDir, source, writer, replay, heartbeat)
              : replay
                  ? FreshClusters.shared()
                      .startRecovering(
                          request.restoreId(),
                          baseDir,
                          source.user(),
                          writer,
                          RECOVERY_TIMEOUT,
                          () -> heartbeat.accept("replaying WAL"))
                  : FreshClusters.shared()
                      .startRestored(request.restoreId(), baseDir, source.user(), writer);
    } catch (PostgresCluster.RecoveryFailed failed) {
      throw recoveryFailed(backup, recovery, wal, failed.getMessage());
    }
    PostgresCluster cluster = started.cluster();
    String name = target.database() != null ? target.database() : source.database();
    RestoreTarget restored =
        new RestoreTarget(
            staged == null ? RestoreWorkflowImpl.FRESH_CLUSTER : RestoreWorkflowImpl.DATA_DIRECTORY,
            cluster.host(),
            cluster.port(),
            name,
            source.user(),
            started.passwordFile().toString(),
            staged == null ? null : staged.target().toString());
    try {
      FileTrees.delete(baseDir.resolve(RESTORE_WAL));
    } catch (IOException e) {
      log.warn("restore {}: {} left behind: {}", request.restoreId(), RESTORE_WAL, e.getMessage());
    }
    try {
      Reached reached = reached(restored, started.passwordFile());
      return point(backup, recovery, wal, replay, restored, reached);
    } catch (RuntimeException e) {
      if (staged != null) {
        // The workflow only knows the directory target, not this server: stop it here.
        FreshClusters.shared().stop(request.restoreId());
      }
      throw e;
    }
  }

  private static FreshClusters.Started startStaged(
      RecoveryRequest request,
      StagedDirectory staged,
      Path baseDir,
      PostgresSourceConfig source,
      FreshClusters.DataDirWriter writer,
      boolean replay,
      Consumer<Object> heartbeat) {
    try {
      staged.recover();
      Path dataDir = staged.create();
      return FreshClusters.shared()
          .startKeepingData(
              request.restoreId(),
              baseDir,
              dataDir,
              source.user(),
              writer,
              replay ? RECOVERY_TIMEOUT : null,
              () -> heartbeat.accept("replaying WAL"));
    } catch (IOException e) {
      staged.discard();
      throw new VigilException(
          ErrorType.RESTORE_FAILED,
          "cannot prepare the staging directory "
              + staged.staging()
              + " of restore "
              + request.restoreId()
              + ": "
              + e.getMessage(),
          e);
    } catch (RuntimeException e) {
      // The target is untouched; the half-written copy beside it goes.
      staged.discard();
      throw e;
    }
  }

  /**
   * Removes the recovery settings {@link #configureRecovery} appended to postgresql.auto.conf, so a
   * later start of the data directory does not look for Vigil's spool: the file is as the backup
   * held it.
   */
  static void removeRecoverySettings(Path dataDir) throws IOException {
    Path autoConf = dataDir.resolve("postgresql.auto.conf");
    if (!Files.exists(autoConf)) {
      return;
    }
    String settings = Files.readString(autoConf, StandardCharsets.UTF_8);
    int added = settings.lastIndexOf(SETTINGS_HEADER);
    if (added >= 0) {
      Files.writeString(autoConf, settings.substring(0, added), StandardCharsets.UTF_8);
    }
  }

  /**
   * Links the fetched WAL into {@code restoreWal} beside the data directory (same filesystem as the
   * spool, so no copy) and writes the recovery settings into postgresql.auto.conf, which the server
   * reads last.
   */
  private static void configureRecovery(
      Path dataDir, Path restoreWalDir, Path spoolWal, RecoveryTarget recovery) throws IOException {
    Path restoreWal = Files.createDirectories(restoreWalDir);
    try (Stream<Path> files = Files.list(spoolWal)) {
      for (Path file : files.toList()) {
        String fileName = file.getFileName().toString();
        if (!WalSegment.parse(fileName, WalSegment.DEFAULT_SIZE).isPresent()) {
          continue;
        }
        Path link = restoreWal.resolve(fileName);
        try {
          Files.createLink(link, file);
        } catch (IOException | UnsupportedOperationException crossDevice) {
          Files.copy(file, link, StandardCopyOption.REPLACE_EXISTING);
        }
      }
    }
    StringBuilder settings = new StringBuilder(SETTINGS_HEADER);
    setting(settings, "restore_command", restoreCommand(restoreWal));
    setting(settings, "recovery_target_timeline", "current");
    setting(settings, "recovery_target_action", "promote");
    if (RecoveryTarget.TIME.equals(recovery.kind())) {
      setting(
          settings,
          "recovery_target_time",
          TARGET_TIME.format(Instant.ofEpochMilli(recovery.atMillis())));
    } else if (RecoveryTarget.LSN.equals(recovery.kind())) {
      setting(settings, "recovery_target_lsn", WalSegment.lsnText(WalSegment.lsn(recovery.lsn())));
    }
    Files.writeString(
        dataDir.resolve("postgresql.auto.conf"),
        settings,
        StandardCharsets.UTF_8,
        StandardOpenOption.CREATE,
        StandardOpenOption.APPEND);
    Files.writeString(dataDir.resolve("recovery.signal"), "", StandardCharsets.UTF_8);
  }

  /**
   * {@code cp '<dir>/%f' "%p"}: the directory single-quoted for the shell, a {@code %} in it
   * doubled for PostgreSQL's own placeholder expansion.
   */
  static String restoreCommand(Path restoreWal) {
    String quoted = "'" + restoreWal.toString().replace("'", "'\"'\"'") + "'";
    return "cp " + quoted.replace("%", "%%") + "/%f \"%p\"";
  }

  /** A postgresql.conf line: the value single-quoted, quotes doubled, backslashes escaped. */
  private static void setting(StringBuilder settings, String name, String value) {
    settings
        .append(name)
        .append(" = '")
        .append(value.replace("\\", "\\\\").replace("'", "''"))
        .append("'\n");
  }

  /** What the promoted server says about its recovery. */
  private record Reached(boolean inRecovery, String lsn, Instant lastCommit) {}

  private static Reached reached(RestoreTarget restored, Path passwordFile) {
    Properties login = new Properties();
    login.setProperty("user", restored.user());
    try {
      login.setProperty("password", Files.readString(passwordFile, StandardCharsets.UTF_8).strip());
    } catch (IOException e) {
      throw new VigilException(
          ErrorType.RESTORE_FAILED, "cannot read " + passwordFile + ": " + e.getMessage(), e);
    }
    String url = "jdbc:postgresql://" + restored.host() + ":" + restored.port() + "/postgres";
    try (Connection connection = DriverManager.getConnection(url, login);
        Statement statement = connection.createStatement();
        ResultSet row =
            statement.executeQuery(
                "SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn()::text,"
                    + " pg_last_xact_replay_timestamp()")) {
      row.next();
      Timestamp commit = row.getTimestamp(3);
      return new Reached(
          row.getBoolean(1), row.getString(2), commit == null ? null : commit.toInstant());
    } catch (SQLException e) {
      throw new VigilException(
          ErrorType.RESTORE_FAILED,
          "cannot ask the recovered cluster at "
              + restored.host()
              + ":"
              + restored.port()
              + " where recovery ended: "
              + e.getMessage(),
          e);
    }
  }

  private static RecoveredPoint point(
      SelectedBackup backup,
      RecoveryTarget recovery,
      WalRange wal,
      boolean replay,
      RestoreTarget restored,
      Reached reached) {
    String source = backup.source().name();
    if (reached.inRecovery()) {
      throw new VigilException(
          ErrorType.RESTORE_FAILED,
          "source '"
              + source
              + "': the recovered cluster is still in recovery; it did not promote");
    }
    long lastCommit = reached.lastCommit() == null ? 0 : reached.lastCommit().toEpochMilli();
    String where =
        RecoveredPoint.CHECK_PREFIX
            + (reached.lastCommit() == null
                ? "with no transaction replayed"
                : "to " + reached.lastCommit() + " (last replayed commit)")
            + (reached.lsn() == null ? "" : ", LSN " + reached.lsn());
    String reachedTarget;
    if (RecoveryTarget.TIME.equals(recovery.kind())) {
      Instant at = Instant.ofEpochMilli(recovery.atMillis());
      if (reached.lastCommit() != null && reached.lastCommit().isAfter(at)) {
        throw new VigilException(
            ErrorType.VALIDATION_FAILED,
            "source '"
                + source
                + "': recovery replayed a commit at "
                + reached.lastCommit()
                + ", after the PITR target "
                + at);
      }
      reachedTarget = "target " + at + " reached";
    } else if (RecoveryTarget.LSN.equals(recovery.kind())) {
      long target = WalSegment.lsn(recovery.lsn());
      if (reached.lsn() == null
          || Long.compareUnsigned(WalSegment.lsn(reached.lsn()), target) < 0) {
        throw new VigilException(
            ErrorType.PITR_TARGET_UNREACHABLE,
            "source '"
                + source
                + "': recovery ended at LSN "
                + reached.lsn()
                + ", before the PITR target LSN "
                + WalSegment.lsnText(target));
      }
      reachedTarget = "target LSN " + WalSegment.lsnText(target) + " reached";
    } else if (replay) {
      reachedTarget = "end of the archived WAL (segment " + wal.last() + ") replayed";
    } else {
      reachedTarget = "base backup's own end";
    }
    String note = wal == null || wal.note() == null ? "" : "; " + wal.note();
    return new RecoveredPoint(
        restored,
        reached.lsn(),
        lastCommit,
        Math.max(lastCommit, backup.consistentAtMillis()),
        where + ": " + reachedTarget + ", not in recovery" + note);
  }

  private static VigilException recoveryFailed(
      SelectedBackup backup, RecoveryTarget recovery, WalRange wal, String fatal) {
    String source = backup.source().name();
    if (fatal.contains(NOT_REACHED)) {
      String what =
          RecoveryTarget.LSN.equals(recovery.kind())
              ? "LSN " + recovery.lsn()
              : Instant.ofEpochMilli(recovery.atMillis()).toString();
      return new VigilException(
          ErrorType.PITR_TARGET_UNREACHABLE,
          "source '"
              + source
              + "': PostgreSQL replayed the archived WAL through segment "
              + wal.last()
              + " and ended recovery before the PITR target "
              + what
              + " ("
              + fatal
              + "); the archive holds nothing past it: pick an earlier target or --latest");
    }
    return new VigilException(
        ErrorType.RESTORE_FAILED,
        "source '"
            + source
            + "': recovery of base backup '"
            + backup.backupId()
            + "' stopped: "
            + fatal);
  }
}
