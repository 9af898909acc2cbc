package dev.vigil.worker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vigil.activities.config.ConfigLoader;
import dev.vigil.activities.config.WorkerConfig;
import io.temporal.activity.ActivityInterface;
import io.temporal.activity.ActivityOptions;
import io.temporal.client.WorkflowOptions;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.worker.Worker;
import io.temporal.worker.WorkerOptions;
import io.temporal.workflow.Async;
import io.temporal.workflow.Promise;
import io.temporal.workflow.Workflow;
import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code worker.slots} from vigil.yaml reaches the worker: real workers built with the options
 * {@link VigilWorker} gives its queues, on the Temporal test server, never run more activities at
 * once than the configured slots, however many are scheduled together.
 */
class WorkerSlotsTest {
  private static final String FAN_OUT_QUEUE = "fan-out";
  private static final int SCHEDULED = 7;

  @TempDir Path dir;

  private TestWorkflowEnvironment environment;

  @BeforeEach
  void start() {
    environment = TestWorkflowEnvironment.newInstance();
    Probe.reset();
  }

  @AfterEach
  void stop() {
    environment.close();
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 3})
  void hostQueueRunsAtMostTheConfiguredSpoolStepsAtOnce(int slots) throws IOException {
    WorkerConfig config = load("  slots:\n    host:\n      activities: " + slots + "\n");
    Worker host = environment.newWorker("vigil@h", VigilWorker.hostOptions(config));
    host.registerActivitiesImplementations(new Probe());

    int ran = fanOut(environment.newWorker(FAN_OUT_QUEUE), "vigil@h");

    assertThat(ran).isEqualTo(SCHEDULED);
    assertThat(Probe.mostAtOnce.get()).as("spool steps at once on the host queue").isEqualTo(slots);
  }

  @Test
  void hostQueueDefaultsToTwoSpoolStepsAtOnce() throws IOException {
    WorkerConfig config = load("");
    Worker host = environment.newWorker("vigil@h", VigilWorker.hostOptions(config));
    host.registerActivitiesImplementations(new Probe());

    fanOut(environment.newWorker(FAN_OUT_QUEUE), "vigil@h");

    assertThat(Probe.mostAtOnce.get()).isEqualTo(2);
  }

  @Test
  void sharedQueueRunsItsWorkflowsAndAtMostTheConfiguredActivitiesAtOnce() throws IOException {
    // The fewest workflow-task slots allowed: the workflow still runs on them.
    WorkerConfig config =
        load("  slots:\n    shared:\n      activities: 4\n      workflow-tasks: 2\n");
    WorkerOptions options = VigilWorker.sharedOptions(config);
    Worker shared = environment.newWorker("vigil", options);
    shared.registerActivitiesImplementations(new Probe());

    int ran = fanOut(shared, "vigil");

    assertThat(ran).isEqualTo(SCHEDULED);
    assertThat(Probe.mostAtOnce.get()).as("activities at once on the shared queue").isEqualTo(4);
    assertThat(options.getMaxConcurrentWorkflowTaskExecutionSize()).isEqualTo(2);
    assertThat(VigilWorker.sharedOptions(load("")).getMaxConcurrentWorkflowTaskExecutionSize())
        .isEqualTo(8);
  }

  /**
   * Runs the fan-out workflow on {@code workflows}' queue: it schedules {@link #SCHEDULED} probe
   * activities on {@code queue} at once; returns how many ran.
   */
  private int fanOut(Worker workflows, String queue) {
    workflows.registerWorkflowImplementationTypes(FanOutImpl.class);
    environment.start();
    FanOut run =
        environment
            .getWorkflowClient()
            .newWorkflowStub(
                FanOut.class,
                WorkflowOptions.newBuilder().setTaskQueue(workflows.getTaskQueue()).build());
    return run.run(queue, SCHEDULED);
  }

  /** The worker section of a minimal valid vigil.yaml with {@code slots} appended, loaded. */
  private WorkerConfig load(String slots) throws IOException {
    Path data = Files.createDirectories(dir.resolve("data"));
    String yaml =
        """
        worker:
          host-id: h
          spool-dir: %s
        %s\
        repositories:
          main:
            endpoint: http://127.0.0.1:9000
            bucket: vigil
        encryption:
          key-env: KEY
        sources:
          files:
            type: directory
            kind: config
            path: %s
        """
            .formatted(dir.resolve("spool"), slots, data);
    Path file = Files.writeString(dir.resolve("vigil.yaml"), yaml);
    String key = Base64.getEncoder().encodeToString(new byte[32]);
    return new ConfigLoader(Map.of("KEY", key)::get).load(file).worker();
  }

  @WorkflowInterface
  public interface FanOut {
    @WorkflowMethod
    int run(String queue, int count);
  }

  public static class FanOutImpl implements FanOut {
    @Override
    public int run(String queue, int count) {
      ProbeActivities probe =
          Workflow.newActivityStub(
              ProbeActivities.class,
              ActivityOptions.newBuilder()
                  .setTaskQueue(queue)
                  .setStartToCloseTimeout(Duration.ofMinutes(1))
                  .build());
      List<Promise<Void>> all = new ArrayList<>();
      for (int i = 0; i < count; i++) {
        all.add(Async.procedure(probe::hold));
      }
      Promise.allOf(all).get();
      return all.size();
    }
  }

  @ActivityInterface
  public interface ProbeActivities {
    void hold();
  }

  /** Holds its slot long enough for every free slot to be taken, and records the most at once. */
  static final class Probe implements ProbeActivities {
    static final AtomicInteger running = new AtomicInteger();
    static final AtomicInteger mostAtOnce = new AtomicInteger();

    static void reset() {
      running.set(0);
      mostAtOnce.set(0);
    }

    @Override
    public void hold() {
      mostAtOnce.accumulateAndGet(running.incrementAndGet(), Math::max);
      try {
        Thread.sleep(400);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } finally {
        running.decrementAndGet();
      }
    }
  }
}
