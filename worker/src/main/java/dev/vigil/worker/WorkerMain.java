package dev.vigil.worker;

import dev.vigil.activities.VigilServices;
import dev.vigil.activities.common.VigilException;
import dev.vigil.activities.config.ConfigException;
import dev.vigil.activities.config.ConfigLoader;
import dev.vigil.activities.config.VigilConfig;
import dev.vigil.activities.notify.DailyReportSource;
import dev.vigil.workflows.connection.TemporalAccessException;
import dev.vigil.workflows.connection.TemporalStubs;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowClientOptions;
import io.temporal.serviceclient.WorkflowServiceStubs;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.function.Function;

/** Runs a worker against the Temporal server named in vigil.yaml until stopped. */
public final class WorkerMain {
  private WorkerMain() {}

  public static void main(String[] args) throws InterruptedException {
    run(args, services -> DailyReportSource.NONE);
  }

  /**
   * Runs the worker of {@code --config FILE}; {@code reports} builds the daily report from its
   * services (the CLI hands in the starter's report).
   */
  public static void run(String[] args, Function<VigilServices, DailyReportSource> reports)
      throws InterruptedException {
    Path configFile =
        Path.of(args.length > 1 && args[0].equals("--config") ? args[1] : "vigil.yaml");
    VigilConfig config;
    try {
      config = new ConfigLoader().load(configFile);
    } catch (ConfigException e) {
      System.err.println(e.getMessage());
      System.exit(2);
      return;
    }
    try (WorkerTelemetry telemetry = WorkerTelemetry.start();
        VigilServices services = new VigilServices(config, System::getenv);
        VigilWorker worker =
            VigilWorker.start(
                client(config, telemetry), services, telemetry, reports.apply(services))) {
      CountDownLatch stopped = new CountDownLatch(1);
      Runtime.getRuntime().addShutdownHook(new Thread(stopped::countDown));
      stopped.await();
    } catch (VigilException | UncheckedIOException | TemporalAccessException e) {
      System.err.println("vigil worker: " + e.getMessage());
      System.exit(2);
    }
  }

  /**
   * A client whose service stubs report the SDK's worker metrics to {@code telemetry}. A TLS or API
   * key problem throws {@link TemporalAccessException} (one line) before any polling starts; a
   * server that is down is waited for as usual.
   */
  public static WorkflowClient client(VigilConfig config, WorkerTelemetry telemetry) {
    WorkflowServiceStubs service =
        TemporalStubs.connect(
            config.temporal().access(),
            System::getenv,
            options -> options.setMetricsScope(telemetry.temporalScope()));
    return WorkflowClient.newInstance(
        service,
        WorkflowClientOptions.newBuilder().setNamespace(config.temporal().namespace()).build());
  }
}
