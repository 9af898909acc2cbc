package dev.vigil.activities.config;

/**
 * Parses {@code worker.slots}: {@code shared: {activities, workflow-tasks}} and {@code host:
 * {activities}}. The host queue runs no workflows, so it has no workflow-task slots to set.
 */
final class WorkerSlotsParser {
  /** Past this, one host would run more streams than any disk or link serves well. */
  private static final int MAX_ACTIVITIES = 256;

  /**
   * The SDK polls the sticky and the normal queue at once, each poller holding a slot: with fewer
   * than two, one poll would wait for the other to return.
   */
  private static final int MIN_WORKFLOW_TASKS = 2;

  private static final int MAX_WORKFLOW_TASKS = 1000;

  private WorkerSlotsParser() {}

  static WorkerSlots parse(ConfigNode slots) {
    slots.allow("shared", "host");
    ConfigNode shared = slots.child("shared");
    shared.allow("activities", "workflow-tasks");
    ConfigNode host = slots.child("host");
    if (!host.missing() && host.value.has("workflow-tasks")) {
      host.problem(
          "workflow-tasks",
          "the host queue runs no workflows, only spool steps; set"
              + " worker.slots.shared.workflow-tasks instead");
      host.value
          .fieldNames()
          .forEachRemaining(
              field -> {
                if (!field.equals("activities") && !field.equals("workflow-tasks")) {
                  host.problem(field, "unknown field; expected one of [activities]");
                }
              });
    } else {
      host.allow("activities");
    }
    return new WorkerSlots(
        shared.integer("activities", WorkerSlots.DEFAULT_SHARED_ACTIVITIES, 1, MAX_ACTIVITIES),
        shared.integer(
            "workflow-tasks",
            WorkerSlots.DEFAULT_SHARED_WORKFLOW_TASKS,
            MIN_WORKFLOW_TASKS,
            MAX_WORKFLOW_TASKS),
        host.integer("activities", WorkerSlots.DEFAULT_HOST_ACTIVITIES, 1, MAX_ACTIVITIES));
  }
}
