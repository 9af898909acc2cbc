package dev.vigil.starter.api;

import dev.vigil.starter.BackupClient;
import dev.vigil.starter.DrillClient;
import dev.vigil.starter.RestoreClient;
import dev.vigil.starter.RunCanceller;
import dev.vigil.starter.RunClosedException;
import dev.vigil.starter.api.RunRequests.BackupRun;
import dev.vigil.starter.api.RunRequests.CancelRequested;
import dev.vigil.starter.api.RunRequests.CancelRun;
import dev.vigil.starter.api.RunRequests.DrillRun;
import dev.vigil.starter.api.RunRequests.RestoreRun;
import dev.vigil.starter.api.RunRequests.RunStarted;
import dev.vigil.starter.api.RunRequests.Target;
import dev.vigil.starter.read.RunNotFoundException;
import dev.vigil.workflows.restore.RecoveryTarget;
import dev.vigil.workflows.restore.RestoreRequest;
import dev.vigil.workflows.restore.RestoreSelector;
import dev.vigil.workflows.restore.RestoreTarget;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.annotation.Body;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.PathVariable;
import io.micronaut.http.annotation.Post;
import io.micronaut.http.annotation.RequestAttribute;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts backups, restores and drills on demand, and cancels runs (operator tokens). Each answers
 * 202 with the run's id at once; the run goes on in Temporal and {@code GET /api/v1/runs/{id}}
 * follows it. The token's name is recorded as who triggered it ({@code api:<name>}).
 */
@Controller("/api/v1")
@ExecuteOn(TaskExecutors.BLOCKING)
@Tag(name = "runs")
final class RunsController {
  static final String RUNS = "/api/v1/runs";
  private static final Logger log = LoggerFactory.getLogger(RunsController.class);

  private final BackupClient backups;
  private final RestoreClient restores;
  private final DrillClient drills;
  private final KnownNames known;
  private final RunCanceller canceller;
  private final Clock clock;

  RunsController(
      BackupClient backups,
      RestoreClient restores,
      DrillClient drills,
      KnownNames known,
      RunCanceller canceller) {
    this.backups = backups;
    this.restores = restores;
    this.drills = drills;
    this.known = known;
    this.canceller = canceller;
    this.clock = Clock.systemUTC();
  }

  @Post("/backups")
  @Operation(summary = "Start a backup of all sources or of some (operator)")
  @ApiResponse(responseCode = "202", description = "started; follow statusUrl")
  @ApiResponse(responseCode = "409", description = "DUPLICATE_RUN: a run for that time exists")
  HttpResponse<RunStarted> backup(
      @Body @Nullable BackupRun request, @RequestAttribute(Caller.ATTRIBUTE) Caller caller) {
    BackupRun run = request == null ? new BackupRun(null, null, null) : request;
    String plan = run.plan() == null ? "manual" : Fields.name("plan", run.plan());
    List<String> sources = run.sources() == null ? List.of() : run.sources();
    for (int i = 0; i < sources.size(); i++) {
      if (sources.get(i) == null) {
        throw ApiException.invalid("sources[" + i + "]", "expected a source name, got null");
      }
      known.source("sources[" + i + "]", sources.get(i));
    }
    Instant at = Fields.instant("at", run.at());
    long requestedAt = at != null ? at.toEpochMilli() : clock.millis();
    String id = backups.start(plan, sources, requestedAt, caller.triggeredBy());
    return started(id, caller);
  }

  @Post("/restores")
  @Operation(summary = "Start a restore of a backup (by id, or a source's newest) (operator)")
  @ApiResponse(responseCode = "202", description = "started; follow statusUrl")
  HttpResponse<RunStarted> restore(
      @Body RestoreRun request, @RequestAttribute(Caller.ATTRIBUTE) Caller caller) {
    String source = known.source("source", request.source());
    if (source == null && request.backupId() == null) {
      throw ApiException.invalid("source", "name a source or a backupId");
    }
    Instant at = Fields.instant("at", request.at());
    int jobs = request.jobs() == null ? 0 : request.jobs();
    if (jobs < 0 || jobs > 64) {
      throw ApiException.invalid("jobs", "expected 0 (default) to 64, got " + jobs);
    }
    RestoreRequest restore =
        new RestoreRequest(
            new RestoreSelector(
                source,
                request.backupId(),
                at == null ? 0 : at.toEpochMilli(),
                recovery(request, at),
                Fields.name("repository", request.repository())),
            target(request.target()),
            Boolean.TRUE.equals(request.force()),
            jobs,
            caller.triggeredBy());
    String id = restores.start(restore, clock.millis());
    return started(id, caller);
  }

  @Post("/drills")
  @Operation(summary = "Start a DR drill of a plan (operator)")
  @ApiResponse(responseCode = "202", description = "started; follow statusUrl")
  HttpResponse<RunStarted> drill(
      @Body @Nullable DrillRun request, @RequestAttribute(Caller.ATTRIBUTE) Caller caller) {
    String plan = known.drillPlan(request == null ? null : request.plan());
    String id = drills.start(plan, clock.millis(), caller.triggeredBy());
    return started(id, caller);
  }

  @Post("/runs/{workflowId}/cancel")
  @Operation(
      summary =
          "Cancel a run (backup, restore, drill, retention, rehydrate) by its workflow id; its"
              + " cleanup still runs (operator)")
  @ApiResponse(responseCode = "202", description = "cancellation requested; follow statusUrl")
  @ApiResponse(responseCode = "404", description = "NOT_FOUND: no such run")
  @ApiResponse(responseCode = "409", description = "RUN_CLOSED: the run had already ended")
  HttpResponse<CancelRequested> cancel(
      @PathVariable String workflowId,
      @Body @Nullable CancelRun request,
      @RequestAttribute(Caller.ATTRIBUTE) Caller caller) {
    String reason = request == null ? null : request.reason();
    try {
      canceller.cancel(workflowId, caller.triggeredBy() + (reason == null ? "" : ": " + reason));
    } catch (RunNotFoundException e) {
      throw ApiException.notFound("no run " + Fields.quoted(workflowId) + " on Temporal");
    } catch (RunClosedException e) {
      throw new ApiException(
          HttpStatus.CONFLICT,
          "RUN_CLOSED",
          e.getMessage(),
          Map.of("runId", workflowId, "state", e.state()));
    }
    log.info("{} cancelled {}", caller.triggeredBy(), workflowId);
    CancelRequested body = CancelRequested.of(workflowId);
    return HttpResponse.accepted(URI.create(body.statusUrl())).body(body);
  }

  /** The recovery target of a restore body: at most one of at, lsn, latest and backupOnly. */
  private static RecoveryTarget recovery(RestoreRun request, Instant at) {
    boolean latest = Boolean.TRUE.equals(request.latest());
    boolean backupOnly = Boolean.TRUE.equals(request.backupOnly());
    int given =
        (at != null ? 1 : 0)
            + (request.lsn() != null ? 1 : 0)
            + (latest ? 1 : 0)
            + (backupOnly ? 1 : 0);
    if (given > 1) {
      throw ApiException.invalid(
          "at", "at, lsn, latest and backupOnly each name where a restore ends; give one");
    }
    if (request.lsn() != null) {
      return RecoveryTarget.lsn(Fields.lsn("lsn", request.lsn()));
    }
    if (latest) {
      return RecoveryTarget.latest();
    }
    if (backupOnly) {
      return RecoveryTarget.backupOnly();
    }
    return at == null ? null : RecoveryTarget.time(at.toEpochMilli());
  }

  private static RestoreTarget target(Target target) {
    if (target == null || target.type() == null) {
      throw ApiException.invalid(
          "target.type", "missing; expected database, fresh-cluster or directory");
    }
    return switch (target.type()) {
      case "database" -> {
        if (target.database() == null || target.database().isBlank()) {
          throw ApiException.invalid(
              "target.database", "missing; name the database to restore into");
        }
        yield RestoreTarget.database(target.database());
      }
      case "fresh-cluster" ->
          new RestoreTarget("fresh-cluster", null, 0, target.database(), null, null, null);
      case "directory" -> {
        if (target.directory() == null || !Path.of(target.directory()).isAbsolute()) {
          throw ApiException.invalid(
              "target.directory", "expected an absolute path on the worker's host");
        }
        yield RestoreTarget.directory(Path.of(target.directory()).normalize().toString());
      }
      default ->
          throw ApiException.invalid(
              "target.type",
              "expected database, fresh-cluster or directory, got " + Fields.quoted(target.type()));
    };
  }

  private static HttpResponse<RunStarted> started(String workflowId, Caller caller) {
    log.info("{} started {}", caller.triggeredBy(), workflowId);
    RunStarted body = RunStarted.of(workflowId);
    return HttpResponse.accepted(URI.create(body.statusUrl())).body(body);
  }
}
