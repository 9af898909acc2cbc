package dev.vigil.infra.cli;

import dev.vigil.activities.config.ConfigLoader;
import dev.vigil.starter.read.DailyReport;
import dev.vigil.starter.read.DailyReports;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The daily backup report of a UTC day, as Markdown (default) or JSON. */
@Command(
    name = "report",
    description =
        "The daily backup report: status per source, storage per repository and class,"
            + " validation results and errors.")
final class ReportCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(
      names = "--config",
      defaultValue = "${VIGIL_CONFIG:-vigil.yaml}",
      description = "The config file (default: $VIGIL_CONFIG, else vigil.yaml).")
  Path config;

  @Option(names = "--date", description = "The UTC day, YYYY-MM-DD (default: today).")
  LocalDate date;

  @CommandLine.ArgGroup(exclusive = true)
  Format format = new Format();

  static final class Format {
    @Option(names = "--json", description = "JSON instead of Markdown.")
    boolean json;

    @Option(names = "--markdown", description = "Markdown (the default).")
    boolean markdown;
  }

  @Option(names = "--output", description = "Write the report to this file instead of stdout.")
  Path output;

  @Override
  public Integer call() throws IOException {
    Clock clock = Clock.systemUTC();
    LocalDate day = date != null ? date : LocalDate.now(clock.withZone(ZoneOffset.UTC));
    DailyReport report =
        new DailyReports(
                CatalogAccess.reader(new ConfigLoader().withoutLocalPathChecks().load(config)),
                clock)
            .build(day);
    String text = format.json ? JsonOut.pretty(report) + "\n" : DailyReports.markdown(report);
    if (output != null) {
      Files.writeString(output, text, StandardCharsets.UTF_8);
      spec.commandLine().getErr().println("wrote the report of " + day + " to " + output);
      spec.commandLine().getErr().flush();
    } else {
      PrintWriter out = spec.commandLine().getOut();
      out.print(text);
      out.flush();
    }
    return report.errors().isEmpty() ? 0 : VigilMain.FAILED;
  }
}
