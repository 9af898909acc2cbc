package dev.vigil.infra.cli;

import dev.vigil.activities.VigilServices;
import dev.vigil.activities.config.ConfigLoader;
import dev.vigil.activities.config.VigilConfig;
import dev.vigil.activities.repair.OrphanSweeper;
import dev.vigil.activities.repair.SweepReport;
import dev.vigil.worker.TemporalRunStates;
import io.temporal.client.WorkflowClient;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Resolves what lost runs left behind, as a worker does when it starts: backups the catalog shows
 * RUNNING whose workflow Temporal no longer has, their objects, and this host's stale spool.
 */
@Command(
    name = "repair",
    description =
        "Resolve backups left RUNNING by runs Temporal no longer has: mark them FAILED, delete"
            + " their objects and incomplete uploads, remove this host's stale spool directories."
            + " Runs still open are left alone.")
final class RepairCommand implements Callable<Integer> {
  @Option(names = "--config", description = "The worker's config file (default: vigil.yaml).")
  Path config = Path.of("vigil.yaml");

  @Option(names = "--dry-run", description = "Print what would be done; change nothing.")
  boolean dryRun;

  @Override
  public Integer call() {
    VigilConfig loaded = new ConfigLoader().load(config);
    try (TemporalConnection temporal = TemporalConnection.open(loaded.temporal());
        VigilServices services = new VigilServices(loaded, System::getenv)) {
      WorkflowClient client = temporal.client();
      SweepReport report =
          OrphanSweeper.of(
                  services,
                  new TemporalRunStates(
                      client.getWorkflowServiceStubs(), loaded.temporal().namespace()),
                  "`vigil repair` on host " + loaded.worker().hostId())
              .sweep(dryRun);
      report.lines().forEach(System.out::println);
      System.out.println(report.summary());
      return report.unresolved() > 0 ? VigilMain.FAILED : 0;
    }
  }
}
