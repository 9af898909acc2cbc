package dev.vigil.infra.cli;

import dev.vigil.activities.VigilServices;
import dev.vigil.activities.check.CheckProblem;
import dev.vigil.activities.check.CheckResult;
import dev.vigil.activities.check.RepositoryChecks;
import dev.vigil.activities.config.ConfigLoader;
import dev.vigil.activities.config.VigilConfig;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * Checks what the repositories hold against what the catalog says and restores need: every archived
 * backup's objects with their recorded sizes, every set manifest, nothing stored that no catalog
 * row claims, no abandoned multipart upload; with {@code --read-data} every backup read back; and
 * the WAL chain of every physical PostgreSQL source. One line per problem, a summary line; exit 1
 * on any problem.
 */
@Command(
    name = "check",
    description =
        "Check the repositories against the catalog: every archived backup's data object and"
            + " manifest is stored with its recorded size, every backup set's manifest is stored,"
            + " every stored backup object has its catalog row, no multipart upload is abandoned,"
            + " and the WAL chain of every physical postgres source runs unbroken. --read-data"
            + " also downloads every archived backup (streamed, nothing written to disk) and"
            + " checks its SHA-256 and that it decrypts with the configured key. One line per"
            + " problem and a summary line; exit 1 on any problem, 0 when all is well.")
final class CheckCommand implements Callable<Integer> {
  @Option(names = "--config", description = "The config file (default: vigil.yaml).")
  Path config = Path.of("vigil.yaml");

  @Option(
      names = "--source",
      description =
          "Check only this source (repeatable); default: every source, and the set manifests.")
  List<String> sources = new ArrayList<>();

  @Option(
      names = "--read-data",
      description =
          "Also read every archived backup back: SHA-256 against the catalog, decryption and"
              + " authentication with the configured key, manifest HMAC. Downloads every byte.")
  boolean readData;

  @Option(
      names = "--parallel",
      description = "Backups read back at once with --read-data (default: 4).")
  int parallel = RepositoryChecks.DEFAULT_PARALLEL;

  @Option(names = "--json", description = "Print the results as JSON.")
  boolean json;

  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    if (parallel < 1 || parallel > 64) {
      throw new ParameterException(
          spec.commandLine(), "--parallel: expected 1 to 64, got " + parallel);
    }
    VigilConfig loaded = new ConfigLoader().withoutLocalPathChecks().load(config);
    PrintWriter out = spec.commandLine().getOut();
    RepositoryChecks.Report report;
    try (VigilServices services = new VigilServices(loaded, System::getenv)) {
      report = new RepositoryChecks(services).run(sources, readData, parallel, Instant.now());
    }
    if (json) {
      out.println(JsonOut.pretty(report.results()));
    } else {
      for (CheckResult result : report.results()) {
        result.problems().stream().map(CheckProblem::message).forEach(out::println);
        result.notes().forEach(out::println);
        if (result.ok() && result.summary() != null) {
          out.println(result.summary());
        }
      }
      out.println(report.summary());
    }
    out.flush();
    return report.ok() ? 0 : VigilMain.FAILED;
  }
}
