package dev.vigil.infra.cli;

import dev.vigil.activities.config.Durations;
import dev.vigil.workflows.retention.LocalArtifactDecision;
import dev.vigil.workflows.retention.RetentionDecision;
import dev.vigil.workflows.retention.RetentionResult;
import dev.vigil.workflows.retention.RowMonth;
import dev.vigil.workflows.retention.SourceRetentionResult;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** Prints a retention run as tables: one row per backup, local artifact and month of rows. */
final class RetentionReport {
  private RetentionReport() {}

  static void print(RetentionResult result, long nowMillis, PrintStream out) {
    out.println(
        (result.dryRun() ? "retention plan (dry run, nothing changed) " : "retention run ")
            + result.runId());
    for (SourceRetentionResult source : result.sources()) {
      out.println();
      out.println("source " + source.source());
      if (source.plan() == null) {
        source.failures().forEach(line -> out.println("  FAILED " + line));
        continue;
      }
      List<String[]> rows = new ArrayList<>();
      rows.add(new String[] {"backup", "age", "rule", "action", "reason"});
      for (RetentionDecision decision : source.plan().decisions()) {
        rows.add(
            new String[] {
              decision.backupId(),
              age(nowMillis, decision.consistentAtMillis()),
              String.join(",", decision.rules()),
              decision.action().name()
                  + (decision.action().name().equals("ARCHIVE")
                      ? " → " + decision.storageClass()
                      : ""),
              decision.reason()
            });
      }
      for (LocalArtifactDecision artifact : source.plan().localArtifacts()) {
        rows.add(
            new String[] {
              "local " + artifact.path(),
              age(nowMillis, artifact.modifiedAtMillis()),
              artifact.type(),
              artifact.remove() ? "REMOVE LOCAL" : "KEEP",
              artifact.reason()
            });
      }
      for (RowMonth month : source.plan().rowMonths()) {
        rows.add(
            new String[] {
              "rows " + month.table() + " " + month.month(),
              "",
              "archive-rows",
              "ARCHIVE ROWS",
              month.rows() + " rows → " + month.objectKey()
            });
      }
      if (rows.size() == 1) {
        out.println("  no backups, artifacts or rows to consider");
      } else {
        table(rows, out);
      }
      if (source.plan().wal() != null) {
        out.println("  " + source.plan().wal().summary());
      }
      source.applied().forEach(line -> out.println("  done   " + line));
      source.failures().forEach(line -> out.println("  FAILED " + line));
      if (source.rowsArchived() > 0) {
        out.println("  rows archived: " + source.rowsArchived());
      }
    }
  }

  private static String age(long nowMillis, long atMillis) {
    return atMillis <= 0
        ? ""
        : Durations.format(Duration.ofMillis(Math.max(0, nowMillis - atMillis)));
  }

  private static void table(List<String[]> rows, PrintStream out) {
    int[] widths = new int[rows.get(0).length];
    for (String[] row : rows) {
      for (int column = 0; column < row.length - 1; column++) {
        widths[column] = Math.max(widths[column], row[column].length());
      }
    }
    for (int index = 0; index < rows.size(); index++) {
      String[] row = rows.get(index);
      StringBuilder line = new StringBuilder("  ");
      for (int column = 0; column < row.length; column++) {
        String cell = row[column];
        line.append(column == row.length - 1 ? cell : pad(cell, widths[column] + 2));
      }
      out.println(line.toString().stripTrailing());
      if (index == 0) {
        out.println("  " + "-".repeat(line.length() - 2));
      }
    }
  }

  private static String pad(String text, int width) {
    return text + " ".repeat(Math.max(0, width - text.length()));
  }
}
