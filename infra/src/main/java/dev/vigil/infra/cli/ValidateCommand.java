package dev.vigil.infra.cli;

import dev.vigil.activities.config.ConfigLoader;
import dev.vigil.activities.config.VigilConfig;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Validates vigil.yaml: one line per problem, exit 2 if there are any. */
@Command(name = "validate", description = "Check vigil.yaml; print one line per problem.")
final class ValidateCommand implements Callable<Integer> {
  @Option(names = "--config", description = "The config file (default: vigil.yaml).")
  Path config = Path.of("vigil.yaml");

  @Override
  public Integer call() {
    VigilConfig loaded = new ConfigLoader().load(config);
    System.out.println(
        config
            + ": OK: "
            + loaded.sources().size()
            + " sources "
            + loaded.sources().keySet()
            + ", "
            + loaded.repositories().size()
            + " repositories "
            + loaded.repositories().keySet());
    return 0;
  }
}
