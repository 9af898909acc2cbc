package dev.vigil.starter.schedule;

import dev.vigil.workflows.backup.BackupPlanWorkflow;
import dev.vigil.workflows.drill.DrillWorkflow;
import dev.vigil.workflows.notify.DailyReportWorkflow;
import dev.vigil.workflows.retention.RetentionWorkflow;
import java.util.Arrays;

/**
 * What a schedule runs. A restore test is a drill of its plan (restore into a throwaway
 * environment, validate, record) with its own schedule and {@code triggeredBy}.
 */
public enum ScheduleKind {
  BACKUP("backup", BackupPlanWorkflow.class),
  RESTORE_TEST("restore-test", DrillWorkflow.class),
  DRILL("drill", DrillWorkflow.class),
  RETENTION("retention", RetentionWorkflow.class),
  /** Sends the daily report of the day before through the notifier. */
  REPORT("report", DailyReportWorkflow.class);

  private final String label;
  private final Class<?> workflowType;

  ScheduleKind(String label, Class<?> workflowType) {
    this.label = label;
    this.workflowType = workflowType;
  }

  /** As written in vigil.yaml and the catalog: {@code backup}, {@code restore-test}, ... */
  public String label() {
    return label;
  }

  /** The workflow interface a run of this kind starts. */
  public Class<?> workflowType() {
    return workflowType;
  }

  /** The kind written {@code label}; {@link IllegalArgumentException} naming the known ones. */
  public static ScheduleKind of(String label) {
    return Arrays.stream(values())
        .filter(kind -> kind.label.equals(label))
        .findFirst()
        .orElseThrow(
            () ->
                new IllegalArgumentException(
                    "unknown schedule kind \""
                        + label
                        + "\"; expected backup, restore-test, drill, retention or report"));
  }
}
