package dev.vigil.infra.cli;

import dev.vigil.activities.VigilServices;
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
import picocli.CommandLine.Spec;

/**
 * Checks what the repositories hold against what restores need: for every physical PostgreSQL
 * source, that the archived WAL runs unbroken from the oldest kept base backup to the newest
 * segment. One line per problem; exit 1 on any.
 */
@Command(
    name = "check",
    description =
        "Check the repositories: the WAL chain of every physical postgres source runs unbroken"
            + " from its oldest kept base backup to the newest archived segment. One line per"
            + " problem (which segments are missing, from where point-in-time recovery is not"
            + " possible); exit 1 on any problem, 0 with a summary per source.")
final class CheckCommand implements Callable<Integer> {
  @Option(names = "--config", description = "The config file (default: vigil.yaml).")
  Path config = Path.of("vigil.yaml");

  @Option(
      names = "--source",
      description = "Check only this source (repeatable); default: every source a check covers.")
  List<String> sources = new ArrayList<>();

  @Option(names = "--json", description = "Print the results as JSON.")
  boolean json;

  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    VigilConfig loaded = new ConfigLoader().withoutLocalPathChecks().load(config);
    PrintWriter out = spec.commandLine().getOut();
    List<CheckResult> results;
    try (VigilServices services = new VigilServices(loaded, System::getenv)) {
      results = new RepositoryChecks(services).run(sources, Instant.now());
    }
    boolean problems = results.stream().anyMatch(result -> !result.ok());
    if (json) {
      out.println(JsonOut.pretty(results));
    } else if (results.isEmpty()) {
      out.println("nothing to check: no postgres source with mode: physical in " + config);
    } else {
      for (CheckResult result : results) {
        if (result.ok()) {
          out.println(result.summary());
        } else {
          result.problems().forEach(out::println);
        }
      }
    }
    out.flush();
    return problems ? VigilMain.FAILED : 0;
  }
}
