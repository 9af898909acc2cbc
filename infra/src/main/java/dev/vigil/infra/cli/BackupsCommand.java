package dev.vigil.infra.cli;

import dev.vigil.activities.config.ConfigLoader;
import dev.vigil.activities.config.Sizes;
import dev.vigil.starter.read.BackupQuery;
import dev.vigil.starter.read.BackupView;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Lists backups from the catalog, newest first, like restic's {@code snapshots}. */
@Command(name = "backups", description = "List backups from the catalog, newest first.")
final class BackupsCommand implements Callable<Integer> {
  private static final List<String> STATUSES =
      List.of("RUNNING", "ARCHIVED", "FAILED", "PRUNING", "PRUNED");

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(
      names = "--config",
      defaultValue = "${VIGIL_CONFIG:-vigil.yaml}",
      description = "The config file (default: $VIGIL_CONFIG, else vigil.yaml).")
  Path config;

  @Option(names = "--source", description = "Only backups of this source.")
  String source;

  @Option(
      names = "--status",
      description = "Only backups in this status: RUNNING, ARCHIVED, FAILED, PRUNING, PRUNED.")
  String status;

  @Option(
      names = "--since",
      description = "Only backups started since: an age (7d, 12h, 30m), a date or an ISO time.")
  String since;

  @Option(names = "--limit", description = "At most this many (default: 100).")
  int limit = 100;

  @Option(names = "--json", description = "Print a JSON array instead of the table.")
  boolean json;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    Instant from;
    try {
      from = since == null ? null : Since.parse(since, Instant.now());
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
    }
    String wanted = status == null ? null : status.toUpperCase(Locale.ROOT);
    if (wanted != null && !STATUSES.contains(wanted)) {
      throw new CommandLine.ParameterException(
          spec.commandLine(), "--status: expected one of " + STATUSES + ", got \"" + status + "\"");
    }
    List<BackupView> backups =
        CatalogAccess.reader(new ConfigLoader().withoutLocalPathChecks().load(config))
            .backups(new BackupQuery(source, wanted, from, limit));
    if (json) {
      out.println(JsonOut.pretty(backups));
    } else if (backups.isEmpty()) {
      out.println("no backups" + (source == null ? "" : " of " + source) + " match");
    } else {
      table(backups).forEach(out::println);
      out.println(backups.size() + " backup" + (backups.size() == 1 ? "" : "s"));
    }
    out.flush();
    return 0;
  }

  /** The table: id, source, kind, status, finished, raw → stored, class, set. */
  static List<String> table(List<BackupView> backups) {
    List<String[]> rows = new ArrayList<>();
    rows.add(
        new String[] {
          "id", "source", "kind", "status", "finished", "raw → stored", "class", "set"
        });
    for (BackupView backup : backups) {
      rows.add(
          new String[] {
            backup.backupId(),
            backup.source(),
            backup.kind(),
            backup.status(),
            backup.finishedAt() == null
                ? "-"
                : backup.finishedAt().truncatedTo(ChronoUnit.SECONDS).toString(),
            "ARCHIVED".equals(backup.status()) || backup.storedBytes() > 0
                ? Sizes.format(backup.rawBytes()) + " → " + Sizes.format(backup.storedBytes())
                : "-",
            backup.storageClass() == null ? "-" : backup.storageClass(),
            backup.setId() == null ? "-" : backup.setId()
          });
    }
    return PlanReport.tableLines(rows);
  }
}
