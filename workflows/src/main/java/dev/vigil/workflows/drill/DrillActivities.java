package dev.vigil.workflows.drill;

import dev.vigil.workflows.backup.HostQueue;
import io.temporal.activity.ActivityInterface;

/**
 * The drill's steps. {@link #createEnvironment} and {@link #tearDownEnvironment} run on the queue
 * of the host {@link #reserveHost} picked; the rest on the shared queue. Activity types are
 * prefixed {@code Drill} so they never clash with the backup's and restore's ({@code ReserveHost},
 * {@code ResolvePlan}) on the same worker.
 */
@ActivityInterface(namePrefix = "Drill")
public interface DrillActivities {

  /** The plan's sources and objectives from the worker's config; INVALID_CONFIG if unknown. */
  DrillPlan resolvePlan(DrillRequest request);

  /** The newest backup set with every source of the plan ARCHIVED; BACKUP_NOT_FOUND if none. */
  DrillBackupSet selectBackupSet(DrillPlan plan);

  /** The worker host the drill's environment lives on, and its own queue. */
  HostQueue reserveHost();

  /** A fresh PostgreSQL cluster on a free port and scratch directories; idempotent per drill. */
  DrillEnvironment createEnvironment(EnvironmentRequest request);

  /** Records the report in the catalog; a retry overwrites it with the same content. */
  void recordReport(DrillReport report);

  /** Stops the cluster and removes every scratch directory; a second call changes nothing. */
  void tearDownEnvironment(String drillId);
}
