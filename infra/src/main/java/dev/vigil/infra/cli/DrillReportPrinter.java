package dev.vigil.infra.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.vigil.activities.common.Json;
import dev.vigil.activities.config.Sizes;
import dev.vigil.workflows.common.StepTiming;
import dev.vigil.workflows.drill.DrillComponent;
import dev.vigil.workflows.drill.DrillDurations;
import dev.vigil.workflows.drill.DrillReport;
import dev.vigil.workflows.restore.RecoveredPoint;
import java.io.PrintStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** A drill report as a table for people and as JSON for scripts ({@code --report FILE}). */
public final class DrillReportPrinter {
  private DrillReportPrinter() {}

  /** Prints the report table, then every reason the drill failed. */
  public static void print(DrillReport report, PrintStream out) {
    out.printf(
        Locale.ROOT,
        "%ndrill %s (plan %s): %s, backup set %s%n",
        report.drillId(),
        report.plan(),
        report.status(),
        report.setId() == null ? "-" : report.setId());
    out.printf(
        Locale.ROOT,
        "RTO %s (objective %s), worst RPO %s (objective %s)%n%n",
        DrillDurations.format(report.totalRtoMillis()),
        objective(report.objectives().rtoMillis()),
        DrillDurations.format(report.worstRpoMillis()),
        objective(report.objectives().rpoMillis()));
    List<String[]> rows = new ArrayList<>();
    rows.add(
        new String[] {
          "source",
          "kind",
          "backup",
          "stored",
          "restore",
          "RTO",
          "RTO objective",
          "RPO",
          "RPO objective",
          "validation",
          "result"
        });
    for (DrillComponent component : report.components()) {
      rows.add(
          new String[] {
            component.source(),
            component.kind(),
            component.backupId() == null ? "-" : component.backupId(),
            Sizes.format(component.storedBytes()),
            DrillDurations.format(component.restoreMillis()),
            DrillDurations.format(component.rtoMillis()),
            objective(component.rtoObjectiveMillis()),
            DrillDurations.format(component.rpoMillis()),
            objective(component.rpoObjectiveMillis()),
            component.validation(),
            component.passed() ? "PASS" : "FAIL"
          });
    }
    PlanReport.printTable(rows, out);
    // A physical source replayed the archived WAL: its RPO is measured from this point.
    for (DrillComponent component : report.components()) {
      component.checks().stream()
          .filter(RecoveredPoint::isRecoveryCheck)
          .findFirst()
          .ifPresent(check -> out.println(component.source() + ": " + check));
    }
    for (String failure : report.failures()) {
      out.println("failed: " + failure);
    }
  }

  /** The report as JSON. */
  public static ObjectNode json(DrillReport report) {
    ObjectNode root = Json.MAPPER.createObjectNode();
    root.put("drillId", report.drillId());
    root.put("plan", report.plan());
    root.put("status", report.status());
    root.put("passed", report.passed());
    root.put("setId", report.setId());
    root.put("triggeredBy", report.triggeredBy());
    root.put("startedAt", Instant.ofEpochMilli(report.startedAtMillis()).toString());
    root.put("finishedAt", Instant.ofEpochMilli(report.finishedAtMillis()).toString());
    root.put("totalRtoMillis", report.totalRtoMillis());
    root.put("worstRpoMillis", report.worstRpoMillis());
    root.put("rtoObjectiveMillis", report.objectives().rtoMillis());
    root.put("rpoObjectiveMillis", report.objectives().rpoMillis());
    ArrayNode components = root.putArray("components");
    for (DrillComponent component : report.components()) {
      ObjectNode node = components.addObject();
      node.put("source", component.source());
      node.put("kind", component.kind());
      node.put("backupId", component.backupId());
      node.put("status", component.status());
      node.put("storedBytes", component.storedBytes());
      node.put("rawBytes", component.rawBytes());
      node.put("restoreMillis", component.restoreMillis());
      node.put("rtoMillis", component.rtoMillis());
      node.put("rpoMillis", component.rpoMillis());
      node.put("rtoObjectiveMillis", component.rtoObjectiveMillis());
      node.put("rpoObjectiveMillis", component.rpoObjectiveMillis());
      node.put("validation", component.validation());
      ArrayNode checks = node.putArray("checks");
      component.checks().forEach(checks::add);
      ObjectNode steps = node.putObject("stepMillis");
      for (StepTiming timing : component.steps()) {
        steps.put(timing.step(), timing.durationMillis());
      }
      node.put("passed", component.passed());
      ArrayNode failures = node.putArray("failures");
      component.failures().forEach(failures::add);
    }
    ArrayNode failures = root.putArray("failures");
    report.failures().forEach(failures::add);
    return root;
  }

  private static String objective(long millis) {
    return millis > 0 ? DrillDurations.format(millis) : "none";
  }
}
