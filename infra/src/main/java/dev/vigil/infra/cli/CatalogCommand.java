package dev.vigil.infra.cli;

import dev.vigil.activities.VigilServices;
import dev.vigil.activities.catalog.CatalogRebuild;
import dev.vigil.activities.catalog.RebuildReport;
import dev.vigil.activities.config.ConfigLoader;
import dev.vigil.activities.config.VigilConfig;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code vigil catalog rebuild}. */
@Command(
    name = "catalog",
    description = "Recover the catalog database from what the repositories hold.",
    subcommands = {CatalogCommand.Rebuild.class})
final class CatalogCommand implements Runnable {
  @Spec CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /**
   * Recreates the catalog rows of every authentic manifest in one repository; see {@link
   * CatalogRebuild}.
   */
  @Command(
      name = "rebuild",
      description =
          "Recreate the catalog (backups ARCHIVED, backup sets) from the manifests in a repository,"
              + " each checked against its HMAC with the configured keys first. Rows already"
              + " present are left as they are. Prints one line per refused or conflicting"
              + " manifest and a count summary; exit 1 if any manifest was refused or conflicts.")
  static final class Rebuild implements Callable<Integer> {
    @Option(names = "--config", description = "The config file (default: vigil.yaml).")
    Path config = Path.of("vigil.yaml");

    @Option(
        names = "--repository",
        required = true,
        description = "The repository (a name under repositories: in the config) to read.")
    String repository;

    @Spec CommandSpec spec;

    @Override
    public Integer call() {
      VigilConfig loaded = new ConfigLoader().withoutLocalPathChecks().load(config);
      PrintWriter out = spec.commandLine().getOut();
      RebuildReport report;
      try (VigilServices services = new VigilServices(loaded, System::getenv)) {
        services.catalog().migrate();
        report =
            new CatalogRebuild(services.catalogDataSource(), services.manifests())
                .run(repository, services.store(repository));
      }
      report.refused().forEach(out::println);
      report.conflicts().forEach(out::println);
      out.println(report.summary());
      out.flush();
      return report.clean() ? 0 : VigilMain.FAILED;
    }
  }
}
