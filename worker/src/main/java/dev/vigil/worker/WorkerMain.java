package dev.vigil.worker;

import dev.vigil.activities.VigilServices;
import dev.vigil.activities.common.VigilException;
import dev.vigil.activities.config.ConfigException;
import dev.vigil.activities.config.ConfigLoader;
import dev.vigil.activities.config.VigilConfig;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowClientOptions;
import io.temporal.serviceclient.WorkflowServiceStubs;
import io.temporal.serviceclient.WorkflowServiceStubsOptions;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

/** Runs a worker against the Temporal server named in vigil.yaml until stopped. */
public final class WorkerMain {
  private WorkerMain() {}

  public static void main(String[] args) throws InterruptedException {
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
    WorkflowServiceStubs service =
        WorkflowServiceStubs.newServiceStubs(
            WorkflowServiceStubsOptions.newBuilder().setTarget(config.temporal().target()).build());
    WorkflowClient client =
        WorkflowClient.newInstance(
            service,
            WorkflowClientOptions.newBuilder().setNamespace(config.temporal().namespace()).build());
    try (VigilServices services = new VigilServices(config, System::getenv);
        VigilWorker worker = VigilWorker.start(client, services)) {
      CountDownLatch stopped = new CountDownLatch(1);
      Runtime.getRuntime().addShutdownHook(new Thread(stopped::countDown));
      stopped.await();
    } catch (VigilException e) {
      System.err.println("vigil worker: " + e.getMessage());
      System.exit(2);
    }
  }
}
