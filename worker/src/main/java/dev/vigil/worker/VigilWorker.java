package dev.vigil.worker;

import dev.vigil.activities.VigilServices;
import dev.vigil.activities.backup.BackupActivitiesImpl;
import dev.vigil.activities.backup.SpoolActivitiesImpl;
import dev.vigil.activities.cas.SealWarmUp;
import dev.vigil.activities.check.CheckGauges;
import dev.vigil.activities.check.RepositoryChecks;
import dev.vigil.activities.check.WalGauges;
import dev.vigil.activities.common.VigilException;
import dev.vigil.activities.config.MetricsConfig;
import dev.vigil.activities.config.WorkerConfig;
import dev.vigil.activities.config.WorkerSlots;
import dev.vigil.activities.copy.CopyActivitiesImpl;
import dev.vigil.activities.drill.DrillActivitiesImpl;
import dev.vigil.activities.notify.DailyReportSource;
import dev.vigil.activities.notify.NotificationMetrics;
import dev.vigil.activities.notify.NotifyActivitiesImpl;
import dev.vigil.activities.repair.OrphanSweeper;
import dev.vigil.activities.repair.SweepReport;
import dev.vigil.activities.restore.RestoreActivitiesImpl;
import dev.vigil.activities.restore.RestoreSpoolActivitiesImpl;
import dev.vigil.activities.retention.RetentionActivitiesImpl;
import dev.vigil.workflows.backup.BackupPlanWorkflowImpl;
import dev.vigil.workflows.backup.SourceBackupWorkflowImpl;
import dev.vigil.workflows.common.TaskQueues;
import dev.vigil.workflows.drill.DrillWorkflowImpl;
import dev.vigil.workflows.notify.DailyReportWorkflowImpl;
import dev.vigil.workflows.notify.NotifyWorkflowImpl;
import dev.vigil.workflows.restore.RestoreWorkflowImpl;
import dev.vigil.workflows.retention.RehydrateWorkflowImpl;
import dev.vigil.workflows.retention.RetentionWorkflowImpl;
import io.temporal.client.WorkflowClient;
import io.temporal.worker.Worker;
import io.temporal.worker.WorkerFactory;
import io.temporal.worker.WorkerOptions;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Vigil worker process: polls the shared queue for workflows and host-independent activities,
 * and its own host queue for the steps that touch its spool.
 */
public final class VigilWorker implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(VigilWorker.class);

  /**
   * How long a workflow task may wait on this worker's sticky queue before a real Temporal server
   * hands it, with the full history, to any worker of the shared queue: a killed worker's runs go
   * on within seconds on a restarted (or any other) worker.
   */
  static final Duration STICKY_SCHEDULE_TO_START = Duration.ofSeconds(5);

  /** How often the worker sends a running activity's latest heartbeat (and progress) at most. */
  public static final Duration HEARTBEAT_SEND_INTERVAL = Duration.ofSeconds(1);

  private final WorkerFactory factory;
  private final String sharedQueue;
  private final String hostQueue;
  private final Readiness readiness;
  private final WorkerEndpoint endpoint;
  private final CheckGauges checks;

  private VigilWorker(
      WorkerFactory factory,
      String sharedQueue,
      String hostQueue,
      Readiness readiness,
      WorkerEndpoint endpoint,
      CheckGauges checks) {
    this.factory = factory;
    this.sharedQueue = sharedQueue;
    this.hostQueue = hostQueue;
    this.readiness = readiness;
    this.endpoint = endpoint;
    this.checks = checks;
  }

  /** Registers workflows and activities and starts polling, without an HTTP endpoint. */
  public static VigilWorker start(WorkflowClient client, VigilServices services) {
    return start(client, services, null);
  }

  /**
   * Registers workflows and activities and starts polling. With {@code telemetry}, the endpoint of
   * the config's {@code metrics:} section serves it and the health probes from the start on.
   */
  public static VigilWorker start(
      WorkflowClient client, VigilServices services, WorkerTelemetry telemetry) {
    return start(client, services, telemetry, DailyReportSource.NONE);
  }

  /**
   * As {@link #start(WorkflowClient, VigilServices, WorkerTelemetry)}, with {@code reports}
   * building the daily report that {@code kind: report} schedules send.
   */
  public static VigilWorker start(
      WorkflowClient client,
      VigilServices services,
      WorkerTelemetry telemetry,
      DailyReportSource reports) {
    // On a daemon thread, once per JVM: the first backup need not run its crypto uncompiled.
    SealWarmUp.startOnce();
    Readiness readiness = new Readiness();
    MetricsConfig metrics = services.config().metrics();
    WorkerEndpoint endpoint =
        telemetry != null && metrics.enabled()
            ? WorkerEndpoint.start(metrics.bind(), metrics.port(), telemetry::scrape, readiness)
            : null;
    if (endpoint != null) {
      log.info("metrics and health on http://{}:{}/metrics", metrics.bind(), endpoint.port());
    }
    CheckGauges checks = null;
    if (telemetry != null) {
      new WalGauges(new RepositoryChecks(services), Clock.systemUTC(), WalGauges.DEFAULT_REFRESH)
          .bindTo(telemetry.registry());
      checks = new CheckGauges(new RepositoryChecks(services), Clock.systemUTC());
      checks.bindTo(telemetry.registry());
    }
    try {
      VigilWorker worker = startPolling(client, services, readiness, endpoint, checks, reports);
      if (checks != null) {
        // After the schema migration in startPolling: the check reads the catalog.
        checks.start(CheckGauges.DEFAULT_INTERVAL);
      }
      return worker;
    } catch (RuntimeException e) {
      if (endpoint != null) {
        endpoint.close();
      }
      throw e;
    }
  }

  private static VigilWorker startPolling(
      WorkflowClient client,
      VigilServices services,
      Readiness readiness,
      WorkerEndpoint endpoint,
      CheckGauges checks,
      DailyReportSource reports) {
    String sharedQueue = services.config().temporal().taskQueue();
    String hostQueue = TaskQueues.host(sharedQueue, services.config().worker().hostId());
    readiness.notReady("waiting for the catalog (schema migration)");
    services.catalog().migrate();
    checkRepositories(services);
    readiness.notReady("registering search attributes with Temporal");
    SearchAttributeRegistration.register(
        client.getWorkflowServiceStubs(), client.getOptions().getNamespace());
    readiness.notReady("sweeping what lost runs left behind");
    sweepOrphans(client, services);
    WorkerFactory factory = WorkerFactory.newInstance(client);
    Worker shared = factory.newWorker(sharedQueue, sharedOptions(services.config().worker()));
    Worker host = factory.newWorker(hostQueue, hostOptions(services.config().worker()));
    shared.registerWorkflowImplementationTypes(
        BackupPlanWorkflowImpl.class,
        SourceBackupWorkflowImpl.class,
        RestoreWorkflowImpl.class,
        DrillWorkflowImpl.class,
        RetentionWorkflowImpl.class,
        RehydrateWorkflowImpl.class,
        NotifyWorkflowImpl.class,
        DailyReportWorkflowImpl.class);
    // One drill instance on both queues: its host steps tear down the clusters it started.
    DrillActivitiesImpl drills = new DrillActivitiesImpl(services);
    shared.registerActivitiesImplementations(
        new BackupActivitiesImpl(services),
        new RestoreActivitiesImpl(services),
        drills,
        new RetentionActivitiesImpl(services),
        new CopyActivitiesImpl(services),
        new NotifyActivitiesImpl(services, new NotificationMetrics(), reports));
    host.registerActivitiesImplementations(
        new SpoolActivitiesImpl(services), new RestoreSpoolActivitiesImpl(services), drills);
    factory.start();
    readiness.ready();
    log.info("worker polling {} and {}", sharedQueue, hostQueue);
    return new VigilWorker(factory, sharedQueue, hostQueue, readiness, endpoint, checks);
  }

  /**
   * Resolves backups left RUNNING by runs Temporal no longer has, their objects and this host's
   * stale spool directories. Runs whose workflow is open are left to it. A sweep that cannot finish
   * (Temporal, the catalog or a store unreachable) is logged and does not stop the worker.
   */
  private static void sweepOrphans(WorkflowClient client, VigilServices services) {
    String host = services.config().worker().hostId();
    try {
      SweepReport report =
          OrphanSweeper.of(
                  services,
                  new TemporalRunStates(
                      client.getWorkflowServiceStubs(), client.getOptions().getNamespace()),
                  "the worker start on host " + host)
              .sweep(false);
      report.lines().forEach(line -> log.warn("orphan sweep: {}", line));
      if (!report.lines().isEmpty()) {
        log.warn("orphan sweep: {}", report.summary());
      }
    } catch (RuntimeException e) {
      log.warn("orphan sweep stopped: {} (run `vigil repair` later)", e.getMessage());
    }
  }

  /**
   * The shared queue's options: the slots of {@code worker.slots.shared}. Without sticky execution
   * the worker asks for no sticky queue (a zero schedule-to-start timeout sends no sticky
   * attributes), so every workflow task goes to the shared queue with its full history. That is the
   * only safe choice on Temporal's test server, which never times out a task on a dead worker's
   * sticky queue.
   */
  static WorkerOptions sharedOptions(WorkerConfig worker) {
    WorkerSlots slots = worker.slots();
    return WorkerOptions.newBuilder()
        .setStickyQueueScheduleToStartTimeout(
            worker.stickyExecution() ? STICKY_SCHEDULE_TO_START : Duration.ZERO)
        .setMaxConcurrentActivityExecutionSize(slots.sharedActivities())
        .setMaxConcurrentWorkflowTaskExecutionSize(slots.sharedWorkflowTasks())
        .build();
  }

  /**
   * The host queue's options: at most {@code worker.slots.host.activities} spool steps at once, so
   * the host never runs more dumps, uploads or restores together than its spool disk and network
   * take (see README, "Worker slots").
   */
  static WorkerOptions hostOptions(WorkerConfig worker) {
    return heartbeatingOptions()
        .setMaxConcurrentActivityExecutionSize(worker.slots().hostActivities())
        .build();
  }

  /**
   * Options of the host queue (uploads, downloads: the steps a progress bar follows) that send an
   * activity's latest heartbeat to Temporal every {@link #HEARTBEAT_SEND_INTERVAL}. The SDK
   * otherwise sends one only every 80% of the heartbeat timeout (24 s for the spool steps' 30 s),
   * and a progress display reads the bytes done from what Temporal last received: a 1 GB upload's
   * bar stood still for 24 s at a time.
   */
  static WorkerOptions.Builder heartbeatingOptions() {
    return WorkerOptions.newBuilder().setMaxHeartbeatThrottleInterval(HEARTBEAT_SEND_INTERVAL);
  }

  /**
   * Checks each repository's bucket once at startup, so a misconfigured one shows in the worker's
   * log before the first backup needs it (and the client's connections are warm). On daemon
   * threads, one per repository: a store that accepts connections and never answers holds its check
   * for the client's whole retry budget (two minutes), and that must delay neither polling nor the
   * other repositories' checks.
   */
  private static void checkRepositories(VigilServices services) {
    for (String repository : services.config().repositories().keySet()) {
      Thread check =
          new Thread(() -> checkRepository(services, repository), "repository-check-" + repository);
      check.setDaemon(true);
      check.start();
    }
  }

  private static void checkRepository(VigilServices services, String repository) {
    try {
      services.store(repository).checkBucket();
    } catch (VigilException e) {
      log.warn("repository '{}' is not usable yet: {}", repository, e.getMessage());
    } catch (RuntimeException e) {
      // The worker may have been closed (and its clients with it) while the check waited.
      log.debug("repository '{}' check did not complete: {}", repository, e.toString());
    }
  }

  public String sharedQueue() {
    return sharedQueue;
  }

  public String hostQueue() {
    return hostQueue;
  }

  /**
   * Stops taking new workflow and activity tasks; steps already running go on. {@link
   * #resumePolling} takes tasks again.
   */
  public void suspendPolling() {
    factory.suspendPolling();
  }

  /** Takes tasks again after {@link #suspendPolling}. */
  public void resumePolling() {
    factory.resumePolling();
  }

  /** The port of the metrics and health endpoint, or -1 without one. */
  public int endpointPort() {
    return endpoint == null ? -1 : endpoint.port();
  }

  @Override
  public void close() {
    readiness.notReady("stopping");
    if (checks != null) {
      checks.close();
    }
    factory.shutdown();
    factory.awaitTermination(30, TimeUnit.SECONDS);
    if (endpoint != null) {
      endpoint.close();
    }
  }
}
