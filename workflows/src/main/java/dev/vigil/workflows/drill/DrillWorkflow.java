package dev.vigil.workflows.drill;

import dev.vigil.workflows.backup.BackupIds;
import io.temporal.workflow.QueryMethod;
import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;

/**
 * A DR drill: restores the newest complete backup set of a plan's sources into a throwaway
 * environment, validates it, measures RTO and RPO against the objectives, records the report and
 * always tears the environment down. Workflow id: {@code drill-<plan>-<timestamp>}.
 */
@WorkflowInterface
public interface DrillWorkflow {

  /**
   * Runs the drill. Completes with the report, {@code PASSED} or {@code FAILED} with its reasons;
   * only a cancelled drill ends without one (its report is still recorded).
   */
  @WorkflowMethod
  DrillReport drill(DrillRequest request);

  /** The step running now. */
  @QueryMethod
  String currentStep();

  /** The drill id (and business workflow id) of a drill of {@code plan} at {@code timestamp}. */
  static String drillId(String plan, String timestamp) {
    return "drill-" + plan + "-" + timestamp;
  }

  /** The drill id of a drill of {@code plan} requested at {@code epochMillis}. */
  static String drillId(String plan, long epochMillis) {
    return drillId(plan, BackupIds.timestamp(epochMillis));
  }
}
