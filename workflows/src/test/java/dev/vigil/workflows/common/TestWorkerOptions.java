package dev.vigil.workflows.common;

import io.temporal.worker.WorkerOptions;
import java.time.Duration;

/** Worker options for tests against the Temporal test server. */
public final class TestWorkerOptions {
  /** How often a test worker sends a running activity's heartbeats at most. */
  public static final Duration HEARTBEAT_THROTTLE = Duration.ofMillis(100);

  private TestWorkerOptions() {}

  /**
   * A worker that sends heartbeats at most every {@link #HEARTBEAT_THROTTLE} instead of every 80 %
   * of the step's heartbeat timeout (24 s for {@link ActivityProfiles#STEP_HEARTBEAT_TIMEOUT}). A
   * cancel reaches an activity only through the reply to a heartbeat it sends, so a test that
   * cancels a running step sees it stop in a fraction of a second rather than waiting those 24 s;
   * the path is the same.
   */
  public static WorkerOptions fastHeartbeats() {
    return WorkerOptions.newBuilder()
        .setMaxHeartbeatThrottleInterval(HEARTBEAT_THROTTLE)
        .setDefaultHeartbeatThrottleInterval(HEARTBEAT_THROTTLE)
        .build();
  }
}
