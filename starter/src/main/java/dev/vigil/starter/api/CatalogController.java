package dev.vigil.starter.api;

import dev.vigil.starter.read.BackupQuery;
import dev.vigil.starter.read.BackupSetView;
import dev.vigil.starter.read.BackupView;
import dev.vigil.starter.read.CatalogReader;
import dev.vigil.starter.read.DrillView;
import dev.vigil.starter.read.ManifestPage;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Get;
import io.micronaut.http.annotation.PathVariable;
import io.micronaut.http.annotation.QueryValue;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.time.Clock;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/** Lists backups, backup sets and drills from the catalog, newest first (viewer tokens). */
@Controller("/api/v1")
@ExecuteOn(TaskExecutors.BLOCKING)
@Tag(name = "catalog")
final class CatalogController {
  static final int DEFAULT_LIMIT = 50;
  static final int MAX_LIMIT = 1000;
  static final int MAX_FILTER = 200;
  private static final Pattern STATUS = Pattern.compile("[A-Z_]{1,32}");

  private final CatalogReader catalog;
  private final Clock clock = Clock.systemUTC();

  CatalogController(CatalogReader catalog) {
    this.catalog = catalog;
  }

  @Get("/backups")
  @Operation(summary = "List backups (filter by source, status, since 7d/24h/ISO time)")
  List<BackupView> backups(
      @QueryValue @Nullable String source,
      @QueryValue @Nullable String status,
      @QueryValue @Nullable String since,
      @QueryValue @Nullable Integer limit) {
    String wanted = status == null ? null : status.toUpperCase(Locale.ROOT);
    if (wanted != null && !STATUS.matcher(wanted).matches()) {
      throw ApiException.invalid(
          "status", "expected a status such as ARCHIVED or FAILED, got " + Fields.quoted(status));
    }
    return catalog.backups(
        new BackupQuery(
            Fields.name("source", source),
            wanted,
            Fields.since("since", since, clock),
            limit(limit)));
  }

  @Get("/backups/{id}")
  @Operation(summary = "One backup by id")
  BackupView backup(@PathVariable String id) {
    return catalog.backup(id).orElseThrow(() -> noBackup(id));
  }

  @Get("/backups/{id}/manifest")
  @Operation(
      summary =
          "A page of a backup's manifest (files with size and SHA-256, or tables with row counts,"
              + " by name; filter: part of a name) and its steps with durations, from the catalog")
  ManifestPage manifest(
      @PathVariable String id,
      @QueryValue @Nullable String filter,
      @QueryValue @Nullable Integer offset,
      @QueryValue @Nullable Integer limit) {
    if (filter != null && filter.length() > MAX_FILTER) {
      throw ApiException.invalid(
          "filter", "expected at most " + MAX_FILTER + " characters, got " + filter.length());
    }
    int from = offset == null ? 0 : offset;
    if (from < 0) {
      throw ApiException.invalid("offset", "expected 0 or more, got " + from);
    }
    return catalog
        .manifest(id, filter == null || filter.isEmpty() ? null : filter, from, limit(limit))
        .orElseThrow(() -> noBackup(id));
  }

  @Get("/backup-sets")
  @Operation(summary = "List backup sets (one per plan run)")
  List<BackupSetView> backupSets(
      @QueryValue @Nullable String plan, @QueryValue @Nullable Integer limit) {
    return catalog.backupSets(Fields.name("plan", plan), limit(limit));
  }

  @Get("/drills")
  @Operation(summary = "List DR drills with their components")
  List<DrillView> drills(@QueryValue @Nullable String plan, @QueryValue @Nullable Integer limit) {
    return catalog.drills(Fields.name("plan", plan), limit(limit));
  }

  @Get("/drills/latest")
  @Operation(summary = "The latest drill report (of a plan, or of any)")
  DrillView latestDrill(@QueryValue @Nullable String plan) {
    return catalog
        .latestDrill(Fields.name("plan", plan))
        .orElseThrow(
            () ->
                ApiException.notFound(
                    (plan == null ? "no drill" : "no drill of plan " + plan)
                        + " in the catalog yet; start one with POST /api/v1/drills"));
  }

  private static ApiException noBackup(String id) {
    return ApiException.notFound(
        "no backup "
            + Fields.quoted(id)
            + " in the catalog; list backups with GET /api/v1/backups");
  }

  private static int limit(Integer limit) {
    return limit == null ? DEFAULT_LIMIT : Fields.limit("limit", limit, MAX_LIMIT);
  }
}
