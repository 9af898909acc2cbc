package dev.vigil.infra.cli;

import dev.vigil.activities.catalog.PostgresCatalog;
import dev.vigil.activities.common.VigilException;
import dev.vigil.activities.config.ConfigLoader;
import dev.vigil.activities.config.Secrets;
import dev.vigil.activities.config.VigilConfig;
import dev.vigil.activities.restore.RestoreCatalog;
import dev.vigil.activities.wal.WalSegment;
import dev.vigil.starter.DuplicateRunException;
import dev.vigil.starter.RestoreClient;
import dev.vigil.workflows.common.ErrorType;
import dev.vigil.workflows.common.Failures;
import dev.vigil.workflows.common.StepTiming;
import dev.vigil.workflows.restore.RecoveredPoint;
import dev.vigil.workflows.restore.RecoveryTarget;
import dev.vigil.workflows.restore.RestoreRequest;
import dev.vigil.workflows.restore.RestoreResult;
import dev.vigil.workflows.restore.RestoreSelector;
import dev.vigil.workflows.restore.RestoreTarget;
import dev.vigil.workflows.restore.SelectedBackup;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowFailedException;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Restores a backup (or every backup of a set) on the configured Temporal server. */
@Command(
    name = "restore",
    description =
        "Restore a backup into a database, a fresh cluster or a directory, validate it, and print"
            + " the result. Exit 0 only when every restore validated.")
final class RestoreCommand implements Callable<Integer> {
  private static final Set<String> BAD_INPUT_TYPES =
      Set.of(
          "BACKUP_NOT_FOUND",
          "TARGET_NOT_EMPTY",
          "RESTORE_TARGET_FORBIDDEN",
          "INVALID_CONFIG",
          "DUPLICATE_RUN",
          "PITR_TARGET_UNREACHABLE");

  @Option(names = "--config", description = "The config file (default: vigil.yaml).")
  Path config = Path.of("vigil.yaml");

  @Option(names = "--source", description = "The source whose backup to restore.")
  String source;

  @Option(names = "--id", description = "The backup id to restore.")
  String backupId;

  @Option(
      names = "--at",
      description =
          "A dump: the newest one consistent at or before this time. A physical source: the"
              + " newest base backup ending before it, replayed with the archived WAL to this time"
              + " (ISO-8601, e.g. 2026-11-20T14:03:27Z or 2026-11-20T15:03:27+01:00).")
  String at;

  @Option(
      names = "--lsn",
      description =
          "Physical sources only: the newest base backup ending at or before this LSN (e.g."
              + " 0/5000028), replayed with the archived WAL through it.")
  String lsn;

  @Option(
      names = "--latest",
      description =
          "Physical sources: replay every archived WAL segment after the base backup (the"
              + " default).")
  boolean latest;

  @Option(
      names = "--backup-only",
      description = "Physical sources: the base backup's own end point, no archived WAL.")
  boolean backupOnly;

  @Option(
      names = "--set",
      description =
          "Restore every source of this backup set (or only --source): directories into"
              + " --target-dir/<source>, databases as --fresh-cluster or --target-db.")
  String setId;

  @ArgGroup(multiplicity = "1")
  Target target;

  @Option(
      names = "--repository",
      description =
          "Read the backup from this repository: the source's own, or one it is copied to"
              + " (copies:), where only verified copies count. Default: the source's own, falling"
              + " back to a verified copy when it cannot be reached.")
  String repository;

  @Option(names = "--force", description = "Restore into a target that is not empty.")
  boolean force;

  @Option(
      names = "--json",
      description = "Print the result as JSON on stdout instead of the table.")
  boolean json;

  @Option(names = "--quiet", description = "No live progress on the terminal while waiting.")
  boolean quiet;

  @Option(names = "--jobs", description = "pg_restore parallel jobs (default: up to 4).")
  int jobs;

  @Option(names = "--target-host", description = "Target server host (default: the source's).")
  String targetHost;

  @Option(names = "--target-port", description = "Target server port (default: the source's).")
  int targetPort;

  @Option(names = "--target-user", description = "Target user (default: the source's).")
  String targetUser;

  @Option(
      names = "--target-password-file",
      description = "A file holding the target user's password (default: the source's).")
  Path targetPasswordFile;

  /** Exactly one kind of target. */
  static final class Target {
    @Option(names = "--target-db", description = "Restore into this database.")
    String database;

    @Option(names = "--fresh-cluster", description = "Restore into a new cluster Vigil starts.")
    boolean freshCluster;

    @Option(
        names = "--target-dir",
        description =
            "Restore a directory backup here, or a physical backup as a stopped PostgreSQL data"
                + " directory (empty or new, inside worker.restore-roots).")
    Path directory;
  }

  @Override
  public Integer call() throws IOException {
    // Where the restore ends is checked before anything is loaded: one line for a bad combination.
    long atMillis = atMillis();
    RecoveryTarget recovery = recovery(atMillis);
    VigilConfig loaded = new ConfigLoader().withoutLocalPathChecks().load(config);
    List<RestoreRequest> requests = requests(loaded, atMillis, recovery);
    try (TemporalConnection temporal = TemporalConnection.open(loaded.temporal())) {
      WorkflowClient client = temporal.client();
      RestoreClient restores = new RestoreClient(client, loaded.temporal().taskQueue());
      long requestedAt = System.currentTimeMillis();
      List<String> started = new ArrayList<>();
      for (RestoreRequest request : requests) {
        try {
          String id = restores.start(request, requestedAt);
          System.err.println("started " + id);
          started.add(id);
        } catch (DuplicateRunException e) {
          System.err.println("vigil: " + e.getMessage());
          return VigilMain.BAD_INPUT;
        }
      }
      int exit = 0;
      List<RestoreResult> results = new ArrayList<>();
      try (LiveProgress progress =
          LiveProgress.start(client, started, LiveProgress.wanted(json, quiet))) {
        for (String id : started) {
          try {
            RestoreResult result = restores.await(id);
            results.add(result);
            if (!"RESTORED".equals(result.status())) {
              exit = Math.max(exit, VigilMain.FAILED);
            }
          } catch (WorkflowFailedException e) {
            String type = Failures.type(e);
            System.err.println("vigil: " + type + ": " + Failures.reason(e));
            exit = Math.max(exit, BAD_INPUT_TYPES.contains(type) ? VigilMain.BAD_INPUT : 1);
          }
        }
      }
      if (json) {
        System.out.println(JsonOut.pretty(results));
      } else {
        print(results, System.out);
      }
      return exit;
    }
  }

  private List<RestoreRequest> requests(
      VigilConfig loaded, long atMillis, RecoveryTarget recovery) {
    String requestedBy = "cli (" + System.getProperty("user.name") + ")";
    if (setId == null) {
      if (source == null && backupId == null) {
        throw new picocli.CommandLine.ParameterException(
            new picocli.CommandLine(this), "name --source, --id or --set");
      }
      RestoreSelector selector =
          new RestoreSelector(source, backupId, atMillis, recovery, repository);
      RestoreTarget into = target(target.directory, target.database);
      return List.of(new RestoreRequest(selector, into, force, jobs, requestedBy));
    }
    String password = Secrets.resolve(loaded.catalog().password(), System::getenv);
    RestoreCatalog catalog =
        new RestoreCatalog(PostgresCatalog.create(loaded.catalog(), password).dataSource());
    List<SelectedBackup> members =
        catalog.backupsOfSet(setId).stream()
            .filter(backup -> source == null || backup.source().name().equals(source))
            .toList();
    long databases = members.stream().filter(b -> !"tar".equals(b.format())).count();
    List<RestoreRequest> requests = new ArrayList<>();
    for (SelectedBackup member : members) {
      String name = member.source().name();
      Path directory = target.directory == null ? null : target.directory.resolve(name);
      String database =
          target.database == null
              ? null
              : databases > 1 ? target.database + "_" + name : target.database;
      requests.add(
          new RestoreRequest(
              new RestoreSelector(name, member.backupId(), 0, null, repository),
              target(directory, database),
              force,
              jobs,
              requestedBy));
    }
    return requests;
  }

  private RestoreTarget target(Path directory, String database) {
    if (target.freshCluster) {
      return new RestoreTarget("fresh-cluster", null, 0, database, null, null, null);
    }
    if (directory != null) {
      return RestoreTarget.directory(directory.toAbsolutePath().normalize().toString());
    }
    return new RestoreTarget(
        "database",
        targetHost,
        targetPort,
        database,
        targetUser,
        targetPasswordFile == null ? null : targetPasswordFile.toAbsolutePath().toString(),
        null);
  }

  /** The recovery target the flags name; null for the default. One of them at most. */
  private RecoveryTarget recovery(long atMillis) {
    int given =
        (at != null ? 1 : 0) + (lsn != null ? 1 : 0) + (latest ? 1 : 0) + (backupOnly ? 1 : 0);
    if (setId != null && given > 0) {
      throw new VigilException(
          ErrorType.INVALID_CONFIG,
          "--set restores each source's backup of that set (replaying a physical one's archived"
              + " WAL to its end); --at, --lsn, --latest and --backup-only go with --source or"
              + " --id");
    }
    if (given > 1) {
      throw new VigilException(
          ErrorType.INVALID_CONFIG,
          "--at, --lsn, --latest and --backup-only each name where a restore ends; give one");
    }
    if (lsn != null) {
      try {
        return RecoveryTarget.lsn(WalSegment.lsnText(WalSegment.lsn(lsn)));
      } catch (VigilException e) {
        throw new VigilException(ErrorType.INVALID_CONFIG, "--lsn: " + e.getMessage());
      }
    }
    if (latest) {
      return RecoveryTarget.latest();
    }
    if (backupOnly) {
      return RecoveryTarget.backupOnly();
    }
    return atMillis > 0 ? RecoveryTarget.time(atMillis) : null;
  }

  private long atMillis() {
    if (at == null) {
      return 0;
    }
    try {
      return Instant.parse(at).toEpochMilli();
    } catch (DateTimeParseException notAnInstant) {
      try {
        return OffsetDateTime.parse(at).toInstant().toEpochMilli();
      } catch (DateTimeParseException e) {
        throw new picocli.CommandLine.ParameterException(
            new picocli.CommandLine(this),
            "--at: expected an ISO-8601 time such as 2026-11-20T02:00Z, got \"" + at + "\"");
      }
    }
  }

  /** One line per restore, then its validation checks and failures. */
  static void print(List<RestoreResult> results, PrintStream out) {
    String format = "%-12s %-36s %-9s %-44s %-22s %s%n";
    out.printf(format, "source", "backup", "status", "target", "consistent at", "steps");
    for (RestoreResult result : results) {
      String steps =
          result.steps().stream()
              .map(
                  step ->
                      step.step()
                          + " "
                          + String.format(Locale.ROOT, "%.2fs", step.durationMillis() / 1000.0))
              .collect(Collectors.joining(", "));
      out.printf(
          format,
          result.source(),
          result.backupId(),
          result.status(),
          describe(result.target()),
          Instant.ofEpochMilli(result.consistentAtMillis()),
          steps);
      if (result.readNote() != null) {
        out.println("    " + result.readNote());
      } else if (result.repository() != null) {
        out.println("    read from repository '" + result.repository() + "'");
      }
      RecoveredPoint recovered = result.recovered();
      if (recovered != null) {
        out.println(
            "    restored to "
                + (recovered.lastCommitMillis() > 0
                    ? Instant.ofEpochMilli(recovered.lastCommitMillis()) + " (last replayed commit)"
                    : Instant.ofEpochMilli(recovered.consistentAtMillis()) + " (base backup end)")
                + (recovered.lsn() == null ? "" : ", LSN " + recovered.lsn()));
      }
      if (result.validation() != null) {
        result.validation().checks().forEach(check -> out.println("    ok    " + check));
        result.validation().failures().forEach(failure -> out.println("    FAIL  " + failure));
      }
      long total = result.finishedAtMillis() - result.startedAtMillis();
      out.printf(
          Locale.ROOT,
          "    restored in %.2fs (%s)%n",
          total / 1000.0,
          result.steps().stream().map(StepTiming::step).collect(Collectors.joining(" → ")));
    }
  }

  static String describe(RestoreTarget target) {
    if (target == null) {
      return "-";
    }
    return switch (target.type()) {
      case "directory" -> target.directory();
      case "data-directory" -> "data directory " + target.directory() + " (stopped)";
      case "fresh-cluster" ->
          "fresh cluster "
              + target.host()
              + ":"
              + target.port()
              + "/"
              + target.database()
              + " (password file "
              + target.passwordFile()
              + ")";
      case "fresh-server" ->
          "fresh redis-server "
              + target.host()
              + ":"
              + target.port()
              + " (RDB in "
              + target.directory()
              + ")";
      default -> target.host() + ":" + target.port() + "/" + target.database();
    };
  }
}
