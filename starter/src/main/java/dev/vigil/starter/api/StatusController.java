package dev.vigil.starter.api;

import dev.vigil.starter.read.DailyReport;
import dev.vigil.starter.read.DailyReports;
import dev.vigil.starter.read.RunNotFoundException;
import dev.vigil.starter.read.RunStatus;
import dev.vigil.starter.read.RunStatusReader;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpHeaders;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.MediaType;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Get;
import io.micronaut.http.annotation.PathVariable;
import io.micronaut.http.annotation.Produces;
import io.micronaut.http.annotation.QueryValue;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.time.LocalDate;
import java.time.ZoneOffset;

/** A run's live status from Temporal, and the daily report (viewer tokens). */
@Controller("/api/v1")
@ExecuteOn(TaskExecutors.BLOCKING)
@Tag(name = "status")
final class StatusController {
  static final String MARKDOWN = "text/markdown";

  private final RunStatusReader runs;
  private final DailyReports reports;

  StatusController(RunStatusReader runs, DailyReports reports) {
    this.runs = runs;
    this.reports = reports;
  }

  @Get("/runs/{workflowId}")
  @Operation(summary = "A run's live status: state, step, activities (attempt, bytes), children")
  RunStatus run(@PathVariable String workflowId) {
    try {
      return runs.status(workflowId);
    } catch (RunNotFoundException e) {
      throw ApiException.notFound(
          "no run "
              + Fields.quoted(workflowId)
              + " on Temporal; use the runId a POST answered with (runs of a restarted test"
              + " server are gone)");
    }
  }

  @Get("/reports/daily")
  @Produces({MediaType.APPLICATION_JSON, MARKDOWN})
  @Operation(
      summary =
          "The daily backup report of a UTC day (default today), as JSON or, with Accept:"
              + " text/markdown or format=markdown, as Markdown")
  HttpResponse<?> daily(
      HttpRequest<?> request,
      @QueryValue @Nullable String date,
      @QueryValue @Nullable String format) {
    LocalDate day = Fields.date("date", date);
    boolean markdown = markdown(request, format);
    DailyReport report = reports.build(day != null ? day : LocalDate.now(ZoneOffset.UTC));
    if (markdown) {
      return HttpResponse.ok(DailyReports.markdown(report))
          .contentType(MediaType.of(MARKDOWN + "; charset=utf-8"));
    }
    return HttpResponse.ok(report).contentType(MediaType.APPLICATION_JSON_TYPE);
  }

  private static boolean markdown(HttpRequest<?> request, String format) {
    if (format != null) {
      return switch (format) {
        case "json" -> false;
        case "markdown", "md" -> true;
        default ->
            throw ApiException.invalid(
                "format", "expected json or markdown, got " + Fields.quoted(format));
      };
    }
    return request.getHeaders().get(HttpHeaders.ACCEPT, String.class).orElse("").contains(MARKDOWN);
  }
}
