package dev.vigil.infra.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.vigil.activities.common.FileTrees;
import dev.vigil.activities.common.Json;
import dev.vigil.activities.embedded.S3MockServer;
import dev.vigil.activities.restore.FreshClusters;
import dev.vigil.infra.embedded.EmbeddedStack;
import dev.vigil.starter.RestoreClient;
import dev.vigil.workflows.backup.PlanResult;
import dev.vigil.workflows.backup.SourceBackupResult;
import dev.vigil.workflows.common.StepTiming;
import dev.vigil.workflows.restore.RestoreRequest;
import dev.vigil.workflows.restore.RestoreResult;
import dev.vigil.workflows.restore.RestoreSelector;
import dev.vigil.workflows.restore.RestoreTarget;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * For the restore benchmark: on the embedded stack, backs up the sources of a file, restores its
 * first database source into a fresh cluster with {@code pg_restore -j}, and writes both timings
 * (and the restore's per-step timings) as JSON.
 */
@Command(
    name = "bench-restore",
    hidden = true,
    description = "Back up the given sources on the embedded stack, restore the first database.")
final class BenchRestoreCommand implements Callable<Integer> {
  @Option(names = "--sources", required = true, description = "A vigil.yaml with sources.")
  Path sources;

  @Option(names = "--report", required = true, description = "Where to write the JSON report.")
  Path report;

  @Option(names = "--jobs", description = "pg_restore parallel jobs (default 2).")
  int jobs = 2;

  @Option(names = "--work-dir", description = "Where the stack keeps its files.")
  Path workDir;

  @Override
  public Integer call() throws IOException {
    Path work =
        workDir != null ? workDir.toAbsolutePath() : Files.createTempDirectory("vigil-bench-");
    try (EmbeddedStack stack =
        EmbeddedStack.start(work, System.err, sources, S3MockServer.Jit.FULL)) {
      String runId =
          stack.backups().start("bench", List.of(), System.currentTimeMillis(), "bench-restore");
      PlanResult backup = stack.backups().await(runId);
      SourceBackupResult database =
          backup.results().stream()
              .filter(result -> "postgres".equals(result.source().type()) && result.archived())
              .findFirst()
              .orElse(null);
      if (database == null) {
        System.err.println("vigil: no database source was archived; nothing to restore");
        return VigilMain.FAILED;
      }
      RestoreClient restores =
          new RestoreClient(stack.client(), stack.config().temporal().taskQueue());
      String restoreId =
          restores.start(
              new RestoreRequest(
                  new RestoreSelector(database.source().name(), database.backupId(), 0),
                  new RestoreTarget("fresh-cluster", null, 0, null, null, null, null),
                  false,
                  jobs,
                  "bench-restore"),
              System.currentTimeMillis());
      RestoreResult restore;
      try {
        restore = restores.await(restoreId);
      } finally {
        FreshClusters.shared().stop(restoreId);
      }
      ObjectNode json = Json.MAPPER.createObjectNode();
      json.put("source", database.source().name());
      json.put("backupId", database.backupId());
      json.put("rawBytes", database.rawBytes());
      json.put("storedBytes", database.storedBytes());
      json.put("backupMillis", backup.finishedAtMillis() - backup.startedAtMillis());
      json.put("restoreStatus", restore.status());
      json.put("validated", restore.validation() != null && restore.validation().passed());
      json.put("restoreMillis", restore.finishedAtMillis() - restore.startedAtMillis());
      json.put("jobs", jobs);
      ObjectNode steps = json.putObject("restoreStepMillis");
      for (StepTiming step : restore.steps()) {
        steps.put(step.step(), step.durationMillis());
      }
      json.putPOJO("validation", restore.validation());
      Json.MAPPER.writerWithDefaultPrettyPrinter().writeValue(report.toFile(), json);
      RestoreCommand.print(List.of(restore), System.out);
      return "RESTORED".equals(restore.status()) ? 0 : VigilMain.FAILED;
    } finally {
      FileTrees.delete(work);
    }
  }
}
