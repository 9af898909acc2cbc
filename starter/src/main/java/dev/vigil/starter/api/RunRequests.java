package dev.vigil.starter.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.serde.annotation.Serdeable;
import java.util.List;

/** The JSON bodies of the API's run-starting and run-cancelling requests and their answers. */
final class RunRequests {
  private RunRequests() {}

  /**
   * {@code POST /api/v1/backups}.
   *
   * @param plan plan name used in ids (default {@code manual})
   * @param sources sources to back up (default all)
   * @param at the time the run's id is derived from (ISO-8601, default now); a second start for the
   *     same time is refused with DUPLICATE_RUN
   */
  @Serdeable
  record BackupRun(@Nullable String plan, @Nullable List<String> sources, @Nullable String at) {}

  /**
   * {@code POST /api/v1/restores}: a backup by id, or the newest archived backup of a source (at or
   * before {@code at}), into a target.
   *
   * @param at a dump: the newest at or before it; a physical source: replay the archived WAL to it
   * @param lsn physical sources only: the newest base backup ending at or before it, replayed to it
   * @param latest physical sources: replay all archived WAL (the default)
   * @param backupOnly physical sources: the base backup's own end, no archived WAL
   * @param force restore into a target that is not empty
   * @param jobs pg_restore parallel jobs (default up to 4)
   * @param repository read from this repository (the source's own or a copy repository); default
   *     the source's own, falling back to a verified copy when it cannot be reached
   */
  @Serdeable
  record RestoreRun(
      @Nullable String source,
      @Nullable String backupId,
      @Nullable String at,
      @Nullable String lsn,
      @Nullable Boolean latest,
      @Nullable Boolean backupOnly,
      @Nullable Target target,
      @Nullable Boolean force,
      @Nullable Integer jobs,
      @Nullable String repository) {}

  /**
   * Where a restore goes.
   *
   * @param type {@code database} (on the source's own server), {@code fresh-cluster} or {@code
   *     directory}
   * @param database target database name ({@code database}, optional for {@code fresh-cluster})
   * @param directory absolute path on the worker's host ({@code directory})
   */
  @Serdeable
  record Target(@Nullable String type, @Nullable String database, @Nullable String directory) {}

  /**
   * {@code POST /api/v1/drills}.
   *
   * @param plan drill plan (default: the only one vigil.yaml declares)
   */
  @Serdeable
  record DrillRun(@Nullable String plan) {}

  /**
   * {@code POST /api/v1/runs/{id}/cancel}.
   *
   * @param reason why, recorded in the run's history with who asked
   */
  @Serdeable
  record CancelRun(@Nullable String reason) {}

  /**
   * A run whose cancellation was requested; it ends CANCELED once its cleanup has run.
   *
   * @param runId the workflow id
   * @param statusUrl where its live status is
   */
  @Serdeable
  record CancelRequested(String runId, String statusUrl) {
    static CancelRequested of(String workflowId) {
      return new CancelRequested(workflowId, RunsController.RUNS + "/" + workflowId);
    }
  }

  /**
   * A started run.
   *
   * @param runId the workflow id
   * @param statusUrl where its live status is
   */
  @Serdeable
  @JsonInclude(JsonInclude.Include.NON_NULL)
  record RunStarted(String runId, String statusUrl) {
    static RunStarted of(String workflowId) {
      return new RunStarted(workflowId, RunsController.RUNS + "/" + workflowId);
    }
  }
}
