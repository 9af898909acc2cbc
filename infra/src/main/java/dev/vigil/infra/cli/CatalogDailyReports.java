package dev.vigil.infra.cli;

import dev.vigil.activities.VigilServices;
import dev.vigil.activities.common.VigilException;
import dev.vigil.activities.notify.DailyReportSource;
import dev.vigil.starter.read.CatalogReadException;
import dev.vigil.starter.read.CatalogReader;
import dev.vigil.starter.read.DailyReport;
import dev.vigil.starter.read.DailyReports;
import dev.vigil.workflows.common.ErrorType;
import java.time.Clock;
import java.time.LocalDate;

/**
 * The daily report a worker sends for {@code kind: report} schedules: the same report as {@code
 * vigil report} and the API's, read from the worker's catalog.
 */
public final class CatalogDailyReports implements DailyReportSource {
  private final DailyReports reports;

  public CatalogDailyReports(VigilServices services) {
    this.reports =
        new DailyReports(new CatalogReader(services.catalogDataSource()), Clock.systemUTC());
  }

  @Override
  public Report build(LocalDate day) {
    DailyReport report;
    try {
      report = reports.build(day);
    } catch (CatalogReadException e) {
      throw new VigilException(
          ErrorType.CATALOG_UNAVAILABLE, "daily report of " + day + ": " + e.getMessage());
    }
    String markdown = DailyReports.markdown(report);
    // "Generated <time>. 4 sources; ..." without the time: the counts are the gist.
    String summary =
        markdown
            .lines()
            .filter(line -> line.startsWith("Generated "))
            .map(line -> line.substring(line.indexOf(". ") + 2))
            .findFirst()
            .orElse("");
    return new Report(markdown, !report.errors().isEmpty(), summary);
  }
}
