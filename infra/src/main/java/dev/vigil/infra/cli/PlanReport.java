package dev.vigil.infra.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.vigil.activities.common.Json;
import dev.vigil.activities.config.Sizes;
import dev.vigil.workflows.backup.PlanResult;
import dev.vigil.workflows.backup.SourceBackupResult;
import dev.vigil.workflows.common.StepTiming;
import dev.vigil.workflows.copy.CopyReport;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** A plan run as a table for people and as JSON for scripts ({@code --report FILE}). */
public final class PlanReport {
  /** The steps in the order the table shows them. */
  static final List<String> STEPS =
      List.of("dump", "verify", "compress", "upload", "verify-upload", "mark-archived");

  private PlanReport() {}

  /** Prints the summary table. */
  public static void print(PlanResult result, PrintStream out) {
    out.printf(
        Locale.ROOT,
        "%nbackup set %s: %s in %s (manifest %s)%n%n",
        result.setId(),
        result.status(),
        seconds(result.finishedAtMillis() - result.startedAtMillis()),
        result.manifestKey());
    List<String[]> rows = new ArrayList<>();
    List<String> header =
        new ArrayList<>(
            List.of("source", "kind", "status", "raw → stored", "sha256", "object key", "class"));
    STEPS.forEach(header::add);
    rows.add(header.toArray(String[]::new));
    for (SourceBackupResult backup : result.results()) {
      List<String> row = new ArrayList<>();
      row.add(backup.source().name());
      row.add(backup.source().kind());
      row.add(backup.status());
      if (backup.archived()) {
        row.add(Sizes.format(backup.rawBytes()) + " → " + Sizes.format(backup.storedBytes()));
        row.add(backup.sha256().substring(0, 12) + "…");
        row.add(backup.objectKey());
        row.add(backup.storageClass());
        for (String step : STEPS) {
          row.add(
              backup.steps().stream()
                  .filter(timing -> timing.step().equals(step))
                  .findFirst()
                  .map(timing -> seconds(timing.durationMillis()))
                  .orElse("-"));
        }
      } else {
        row.add("-");
        row.add("-");
        row.add(backup.failure());
      }
      rows.add(row.toArray(String[]::new));
    }
    printTable(rows, out);
    for (SourceBackupResult backup : result.results()) {
      for (String warning : backup.warnings()) {
        out.println("warning: " + backup.source().name() + ": " + warning);
      }
    }
    for (CopyReport copy : copies(result)) {
      out.println(
          "copy: "
              + copy.itemKind()
              + " "
              + copy.itemId()
              + " → "
              + copy.repository()
              + ": "
              + copy.status()
              + (copy.failure() == null ? "" : " (" + copy.failure() + ")"));
    }
  }

  /** The run's copies; none in results from before copies. */
  private static List<CopyReport> copies(PlanResult result) {
    return result.copies() == null ? List.of() : result.copies();
  }

  /** The run as JSON. */
  public static ObjectNode json(PlanResult result) {
    ObjectNode root = Json.MAPPER.createObjectNode();
    root.put("setId", result.setId());
    root.put("plan", result.plan());
    root.put("status", result.status());
    root.put("manifestKey", result.manifestKey());
    root.put("startedAt", Instant.ofEpochMilli(result.startedAtMillis()).toString());
    root.put("finishedAt", Instant.ofEpochMilli(result.finishedAtMillis()).toString());
    root.put("durationMillis", result.finishedAtMillis() - result.startedAtMillis());
    ArrayNode sources = root.putArray("sources");
    for (SourceBackupResult backup : result.results()) {
      ObjectNode source = sources.addObject();
      source.put("source", backup.source().name());
      source.put("type", backup.source().type());
      source.put("kind", backup.source().kind());
      source.put("backupId", backup.backupId());
      source.put("status", backup.status());
      source.put("verified", backup.archived());
      source.put("rawBytes", backup.rawBytes());
      source.put("storedBytes", backup.storedBytes());
      source.put("sha256", backup.sha256());
      source.put("bucket", backup.bucket());
      source.put("objectKey", backup.objectKey());
      source.put("manifestKey", backup.manifestKey());
      source.put("storageClass", backup.storageClass());
      source.put("compression", backup.compression());
      if (backup.consistentAtMillis() > 0) {
        source.put("consistentAt", Instant.ofEpochMilli(backup.consistentAtMillis()).toString());
      }
      ObjectNode steps = source.putObject("stepMillis");
      for (StepTiming timing : backup.steps()) {
        steps.put(timing.step(), timing.durationMillis());
      }
      ArrayNode warnings = source.putArray("warnings");
      backup.warnings().forEach(warnings::add);
      source.put("failureType", backup.failureType());
      source.put("failure", backup.failure());
    }
    ArrayNode copies = root.putArray("copies");
    for (CopyReport copy : copies(result)) {
      ObjectNode node = copies.addObject();
      node.put("item", copy.itemKind());
      node.put("id", copy.itemId());
      node.put("repository", copy.repository());
      node.put("status", copy.status());
      node.put("failure", copy.failure());
    }
    return root;
  }

  /** Writes {@code json} to {@code file}, pretty-printed. */
  public static void write(ObjectNode json, Path file) throws IOException {
    Json.MAPPER.writerWithDefaultPrettyPrinter().writeValue(file.toFile(), json);
  }

  static String seconds(long millis) {
    return String.format(Locale.ROOT, "%.2fs", millis / 1000.0);
  }

  static void printTable(List<String[]> rows, PrintStream out) {
    tableLines(rows).forEach(out::println);
  }

  /** The rows as aligned lines, the first row a header underlined with dashes. */
  static List<String> tableLines(List<String[]> rows) {
    List<String> lines = new ArrayList<>();
    int columns = rows.stream().mapToInt(row -> row.length).max().orElse(0);
    int[] widths = new int[columns];
    for (String[] row : rows) {
      for (int i = 0; i < row.length; i++) {
        widths[i] = Math.max(widths[i], row[i] == null ? 0 : row[i].length());
      }
    }
    for (int r = 0; r < rows.size(); r++) {
      StringBuilder line = new StringBuilder();
      String[] row = rows.get(r);
      for (int i = 0; i < row.length; i++) {
        String cell = row[i] == null ? "" : row[i];
        line.append(cell).append(" ".repeat(widths[i] - cell.length() + 2));
      }
      lines.add(line.toString().stripTrailing());
      if (r == 0) {
        int total = 0;
        for (int width : widths) {
          total += width + 2;
        }
        lines.add("-".repeat(Math.max(0, total - 2)));
      }
    }
    return lines;
  }
}
