package dev.vigil.infra.cli;

import dev.vigil.activities.config.ConfigLoader;
import dev.vigil.activities.config.VigilConfig;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Validates vigil.yaml: one line per problem, exit 2 if there are any. */
@Command(name = "validate", description = "Check vigil.yaml; print one line per problem.")
final class ValidateCommand implements Callable<Integer> {
  @Option(names = "--config", description = "The config file (default: vigil.yaml).")
  Path config = Path.of("vigil.yaml");

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    VigilConfig loaded = new ConfigLoader().load(config);
    spec.commandLine()
        .getOut()
        .println(
            config
                + ": OK: "
                + count(loaded.sources().size(), "source", "sources")
                + " "
                + loaded.sources().keySet()
                + ", "
                + count(loaded.repositories().size(), "repository", "repositories")
                + " "
                + loaded.repositories().keySet()
                + ", "
                + count(loaded.drills().size(), "drill plan", "drill plans")
                + " "
                + loaded.drills().keySet());
    return 0;
  }

  private static String count(int n, String one, String many) {
    return n + " " + (n == 1 ? one : many);
  }
}
