package dev.vigil.infra.cli;

import dev.vigil.worker.WorkerMain;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Runs a worker on this host against the configured Temporal server. */
@Command(name = "worker", description = "Run a Vigil worker on this host until stopped.")
final class WorkerCommand implements Callable<Integer> {
  @Option(names = "--config", description = "The config file (default: vigil.yaml).")
  Path config = Path.of("vigil.yaml");

  @Override
  public Integer call() throws InterruptedException {
    WorkerMain.run(new String[] {"--config", config.toString()}, CatalogDailyReports::new);
    return 0;
  }
}
