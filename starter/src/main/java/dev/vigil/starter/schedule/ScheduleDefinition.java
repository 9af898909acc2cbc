package dev.vigil.starter.schedule;

import dev.vigil.starter.RunStarts;
import dev.vigil.workflows.backup.PlanRequest;
import dev.vigil.workflows.common.Cron;
import dev.vigil.workflows.common.SearchAttributes;
import dev.vigil.workflows.drill.DrillRequest;
import dev.vigil.workflows.notify.DailyReportWorkflow;
import dev.vigil.workflows.notify.ReportRequest;
import dev.vigil.workflows.retention.RetentionRequest;
import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;

/**
 * A schedule as declared: what runs ({@code kind}, {@code plan}, {@code sources}) and when ({@code
 * cron}, five fields, UTC).
 *
 * @param plan the backup plan or drill plan; null for retention and report
 * @param sources the sources of a backup or retention run; empty for all
 * @param catchupWindow how late a missed run may still start (Temporal Schedules only)
 * @param paused declared paused
 */
public record ScheduleDefinition(
    String name,
    ScheduleKind kind,
    String cron,
    String plan,
    List<String> sources,
    Duration catchupWindow,
    boolean paused) {
  private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9-]{0,62}");

  /** Validates the name, the cron expression and that backups and drills name a plan. */
  public ScheduleDefinition {
    if (name == null || !NAME.matcher(name).matches()) {
      throw new IllegalArgumentException(
          "schedule name \"" + name + "\": use lower-case letters, digits and '-'");
    }
    cron = Cron.parse(cron).expression();
    if (kind != ScheduleKind.RETENTION
        && kind != ScheduleKind.REPORT
        && (plan == null || plan.isBlank())) {
      throw new IllegalArgumentException(
          "schedule " + name + ": a " + kind.label() + " needs a plan");
    }
    sources = sources == null ? List.of() : List.copyOf(sources);
    if (catchupWindow == null || catchupWindow.isNegative() || catchupWindow.isZero()) {
      throw new IllegalArgumentException("schedule " + name + ": catch-up window must be positive");
    }
  }

  /** Who a scheduled run records as its trigger: {@code schedule <name>}. */
  public String triggeredBy() {
    return "schedule " + name;
  }

  /** The Temporal Schedule id: {@code vigil-<name>}. */
  public String scheduleId() {
    return Scheduler.SCHEDULE_ID_PREFIX + name;
  }

  /** The cron workflow id where the server has no Schedules API: {@code schedule-<name>}. */
  public String cronWorkflowId() {
    return Scheduler.CRON_ID_PREFIX + name;
  }

  /** The id in Temporal for {@code mode}. */
  public String temporalId(ScheduleMode mode) {
    return mode == ScheduleMode.SCHEDULE ? scheduleId() : cronWorkflowId();
  }

  /**
   * The workflow id prefix of this schedule's runs: {@code backup-set-<plan>}, {@code
   * drill-<plan>}, {@code retention}; a Schedule appends the scheduled time, a trigger in cron mode
   * the business timestamp.
   */
  public String workflowIdPrefix() {
    return switch (kind) {
      case BACKUP -> "backup-set-" + plan;
      case RESTORE_TEST, DRILL -> "drill-" + plan;
      case RETENTION -> "retention";
      case REPORT -> DailyReportWorkflow.ID_PREFIX;
    };
  }

  /**
   * The request a run starts with. {@code requestedAtMillis} 0 lets the workflow use its own start
   * time for its ids (scheduled runs); a trigger passes the time of the trigger.
   */
  public Object request(long requestedAtMillis, String triggeredBy) {
    return switch (kind) {
      case BACKUP -> new PlanRequest(plan, sources, requestedAtMillis, triggeredBy);
      case RESTORE_TEST, DRILL -> new DrillRequest(plan, requestedAtMillis, triggeredBy);
      case RETENTION -> new RetentionRequest(sources, false, requestedAtMillis, triggeredBy);
      case REPORT -> new ReportRequest(requestedAtMillis, triggeredBy);
    };
  }

  /** Whether {@code other} runs the same thing at the same times (pause state aside). */
  public boolean sameAction(ScheduleDefinition other) {
    return kind == other.kind
        && cron.equals(other.cron)
        && java.util.Objects.equals(plan, other.plan)
        && sources.equals(other.sources)
        && catchupWindow.equals(other.catchupWindow);
  }

  /** The search attributes of this schedule's runs (kind, the one source if any, who scheduled). */
  public io.temporal.common.SearchAttributes searchAttributes() {
    String runKind =
        switch (kind) {
          case BACKUP -> SearchAttributes.KIND_BACKUP_SET;
          case RESTORE_TEST, DRILL -> SearchAttributes.KIND_DRILL;
          case RETENTION -> SearchAttributes.KIND_RETENTION;
          case REPORT -> SearchAttributes.KIND_REPORT;
        };
    return SearchAttributes.forRun(runKind, RunStarts.onlySource(sources), triggeredBy());
  }

  /** The summary of this schedule's runs in the Temporal UI. */
  public String summary() {
    return kind.label() + (plan != null ? " of plan " + plan : "") + " (schedule " + name + ")";
  }
}
