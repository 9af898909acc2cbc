package dev.vigil.starter.read;

import dev.vigil.workflows.drill.DrillDurations;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Builds the daily backup report of a UTC day from the catalog, and renders it as Markdown (the
 * JSON form is the {@link DailyReport} record itself).
 */
public final class DailyReports {
  /** A source whose last archived backup is older than this is STALE. */
  static final Duration FRESH = Duration.ofHours(24);

  private static final int RESTORES_PER_DAY = 1_000;

  private final CatalogReader reader;
  private final Clock clock;

  /** Reports from {@code reader}'s catalog; {@code clock} says what "now" and "today" are. */
  public DailyReports(CatalogReader reader, Clock clock) {
    this.reader = reader;
    this.clock = clock;
  }

  /** The report of {@code day} (UTC). Ages are measured at the day's end, or now for today. */
  public DailyReport build(LocalDate day) {
    Instant now = clock.instant();
    Instant from = day.atStartOfDay(ZoneOffset.UTC).toInstant();
    Instant to = day.plusDays(1).atStartOfDay(ZoneOffset.UTC).toInstant();
    Instant asOf = now.isBefore(to) ? now : to;

    List<BackupView> ofDay = reader.backupsBetween(from, to);
    List<SourceStatus> sources = sources(ofDay, asOf);
    List<StorageUsage> storage = reader.storageUsage();
    List<RestoreView> restores = reader.restores(null, from, to, RESTORES_PER_DAY);
    List<DrillView> drills = reader.drillsBetween(from, to);

    List<ValidationEntry> validations = new ArrayList<>();
    for (RestoreView restore : restores) {
      validations.add(
          new ValidationEntry(
              "restore",
              restore.restoreId(),
              restore.source(),
              restore.status(),
              "RESTORED".equals(restore.status())
                  && !Boolean.FALSE.equals(restore.validationPassed()),
              restore.finishedAt(),
              true,
              restoreDetail(restore)));
    }
    Set<String> drilledPlans = new HashSet<>();
    for (DrillView drill : drills) {
      drilledPlans.add(drill.plan());
      validations.add(drillEntry(drill, true));
    }
    for (DrillView drill : reader.latestDrills()) {
      if (!drilledPlans.contains(drill.plan()) && drill.startedAt().isBefore(to)) {
        validations.add(drillEntry(drill, false));
      }
    }

    List<ReportError> errors = new ArrayList<>();
    for (BackupView backup : ofDay) {
      if ("FAILED".equals(backup.status())) {
        errors.add(
            new ReportError(
                "backup",
                backup.backupId(),
                backup.source(),
                backup.finishedAt() != null ? backup.finishedAt() : backup.startedAt(),
                backup.failureType(),
                backup.failureReason()));
      }
    }
    for (RestoreView restore : restores) {
      if ("FAILED".equals(restore.status())) {
        errors.add(
            new ReportError(
                "restore",
                restore.restoreId(),
                restore.source(),
                restore.finishedAt(),
                restore.failureType(),
                restore.failureReason()));
      }
    }
    for (DrillView drill : drills) {
      if ("FAILED".equals(drill.status())) {
        errors.add(
            new ReportError(
                "drill",
                drill.drillId(),
                drill.plan(),
                drill.finishedAt(),
                "DRILL_FAILED",
                String.join("; ", drill.failures())));
      }
    }

    List<BackupView> archived =
        ofDay.stream().filter(backup -> "ARCHIVED".equals(backup.status())).toList();
    ReportTotals totals =
        new ReportTotals(
            sources.size(),
            ofDay.size(),
            archived.size(),
            (int) ofDay.stream().filter(backup -> "FAILED".equals(backup.status())).count(),
            archived.stream().mapToLong(BackupView::rawBytes).sum(),
            archived.stream().mapToLong(BackupView::storedBytes).sum(),
            restores.size(),
            drills.size(),
            errors.size(),
            storage.stream().mapToLong(StorageUsage::storedBytes).sum());
    List<ReportWarning> warnings = new ArrayList<>();
    for (BackupView backup : ofDay) {
      for (String warning : backup.warnings() == null ? List.<String>of() : backup.warnings()) {
        warnings.add(
            new ReportWarning(
                backup.backupId(),
                backup.source(),
                backup.finishedAt() != null ? backup.finishedAt() : backup.startedAt(),
                warning));
      }
    }
    return new DailyReport(
        day,
        now,
        asOf,
        sources,
        storage,
        List.copyOf(validations),
        List.copyOf(errors),
        totals,
        List.copyOf(warnings));
  }

  private List<SourceStatus> sources(List<BackupView> ofDay, Instant asOf) {
    Map<String, BackupView> latest = new LinkedHashMap<>();
    for (BackupView backup : reader.latestBackups(null, asOf)) {
      latest.put(backup.source() + "\u0000" + backup.kind(), backup);
    }
    Map<String, BackupView> lastArchived = new LinkedHashMap<>();
    for (BackupView backup : reader.latestBackups("ARCHIVED", asOf)) {
      lastArchived.put(backup.source() + "\u0000" + backup.kind(), backup);
    }
    List<SourceStatus> sources = new ArrayList<>();
    for (Map.Entry<String, BackupView> entry : latest.entrySet()) {
      BackupView last = entry.getValue();
      BackupView success = lastArchived.get(entry.getKey());
      Instant successAt = success == null ? null : success.finishedAt();
      Long age =
          successAt == null ? null : Math.max(0, Duration.between(successAt, asOf).getSeconds());
      List<BackupView> mine =
          ofDay.stream()
              .filter(backup -> backup.source().equals(last.source()))
              .filter(backup -> backup.kind().equals(last.kind()))
              .toList();
      sources.add(
          new SourceStatus(
              last.source(),
              last.kind(),
              outcome(last, age),
              last.backupId(),
              last.status(),
              last.finishedAt(),
              successAt,
              age,
              success == null ? 0 : success.rawBytes(),
              success == null ? 0 : success.storedBytes(),
              mine.size(),
              (int) mine.stream().filter(backup -> "FAILED".equals(backup.status())).count()));
    }
    return List.copyOf(sources);
  }

  private static String outcome(BackupView last, Long ageSeconds) {
    if ("FAILED".equals(last.status())) {
      return "FAILED";
    }
    if ("RUNNING".equals(last.status())) {
      return "RUNNING";
    }
    if (ageSeconds == null) {
      return "NEVER";
    }
    return ageSeconds <= FRESH.getSeconds() ? "OK" : "STALE";
  }

  private static String restoreDetail(RestoreView restore) {
    if ("FAILED".equals(restore.status())) {
      return "failed: " + restore.failureReason();
    }
    String validation =
        restore.validationPassed() == null
            ? "not validated"
            : restore.validationPassed() ? "validated" : "validation failed";
    return restore.targetType()
        + " restore of "
        + restore.backupId()
        + " in "
        + seconds(restore.durationMillis())
        + ", "
        + validation;
  }

  private static ValidationEntry drillEntry(DrillView drill, boolean sameDay) {
    String detail =
        String.format(
            Locale.ROOT,
            "RTO %s (objective %s), RPO %s (objective %s), %d component%s",
            seconds(drill.totalRtoMillis()),
            objective(drill.rtoObjectiveMillis()),
            seconds(drill.worstRpoMillis()),
            objective(drill.rpoObjectiveMillis()),
            drill.components().size(),
            drill.components().size() == 1 ? "" : "s");
    return new ValidationEntry(
        "drill",
        drill.drillId(),
        drill.plan(),
        drill.status(),
        "PASSED".equals(drill.status()),
        drill.finishedAt(),
        sameDay,
        detail);
  }

  /** The report as Markdown: a summary line, then one table per section. */
  public static String markdown(DailyReport report) {
    StringBuilder md = new StringBuilder();
    ReportTotals totals = report.totals();
    md.append("# Vigil daily report: ").append(report.day()).append(" (UTC)\n\n");
    md.append(
        String.format(
            Locale.ROOT,
            "Generated %s. %d source%s; %d backup%s of the day (%d archived, %d failed, %s →"
                + " %s); %d restore%s, %d drill%s; %d error%s. Repositories hold %s.%n%n",
            text(report.generatedAt()),
            totals.sources(),
            plural(totals.sources()),
            totals.backups(),
            plural(totals.backups()),
            totals.archived(),
            totals.failed(),
            bytes(totals.rawBytes()),
            bytes(totals.storedBytes()),
            totals.restores(),
            plural(totals.restores()),
            totals.drills(),
            plural(totals.drills()),
            totals.errors(),
            plural(totals.errors()),
            bytes(totals.storedBytesTotal())));

    md.append("## Sources\n\n");
    if (report.sources().isEmpty()) {
      md.append("No backups in the catalog yet.\n\n");
    } else {
      md.append(
          "| source | kind | outcome | last backup | status | last success | age | raw → stored"
              + " | today |\n");
      md.append("|---|---|---|---|---|---|---|---|---|\n");
      for (SourceStatus source : report.sources()) {
        md.append(
            row(
                source.source(),
                source.kind(),
                source.outcome(),
                source.lastBackupId(),
                source.lastStatus(),
                text(source.lastSuccessAt()),
                source.ageSeconds() == null ? "-" : seconds(source.ageSeconds() * 1000),
                source.lastSuccessAt() == null
                    ? "-"
                    : bytes(source.rawBytes()) + " → " + bytes(source.storedBytes()),
                source.backupsOfDay()
                    + " backup"
                    + plural(source.backupsOfDay())
                    + (source.failuresOfDay() > 0
                        ? ", " + source.failuresOfDay() + " failed"
                        : "")));
      }
      md.append('\n');
    }

    md.append("## Storage\n\n");
    if (report.storage().isEmpty()) {
      md.append("Nothing stored.\n\n");
    } else {
      md.append("| repository | storage class | backups | objects | stored |\n");
      md.append("|---|---|---|---|---|\n");
      for (StorageUsage usage : report.storage()) {
        md.append(
            row(
                usage.repository(),
                usage.storageClass(),
                Integer.toString(usage.backups()),
                Integer.toString(usage.objects()),
                bytes(usage.storedBytes())));
      }
      md.append('\n');
    }

    md.append("## Validation\n\n");
    if (report.validations().isEmpty()) {
      md.append("No restores or drills yet.\n\n");
    } else {
      md.append("| type | id | name | status | finished | detail |\n");
      md.append("|---|---|---|---|---|---|\n");
      for (ValidationEntry entry : report.validations()) {
        md.append(
            row(
                entry.type(),
                entry.id(),
                entry.name(),
                entry.status() + (entry.sameDay() ? "" : " (latest, earlier day)"),
                text(entry.finishedAt()),
                entry.detail()));
      }
      md.append('\n');
    }

    md.append("## Errors\n\n");
    if (report.errors().isEmpty()) {
      md.append("None.\n");
    } else {
      md.append("| type | id | name | at | error | reason |\n");
      md.append("|---|---|---|---|---|---|\n");
      for (ReportError error : report.errors()) {
        md.append(
            row(
                error.type(),
                error.id(),
                error.name(),
                text(error.at()),
                error.failureType(),
                error.reason()));
      }
    }

    md.append("\n## Warnings\n\n");
    if (report.warnings().isEmpty()) {
      md.append("None.\n");
    } else {
      md.append("| backup | source | at | warning |\n");
      md.append("|---|---|---|---|\n");
      for (ReportWarning warning : report.warnings()) {
        md.append(row(warning.backupId(), warning.source(), text(warning.at()), warning.warning()));
      }
    }
    return md.toString();
  }

  private static String row(String... cells) {
    return "| "
        + java.util.Arrays.stream(cells).map(DailyReports::cell).collect(Collectors.joining(" | "))
        + " |\n";
  }

  /** A table cell: one line, pipes escaped, "-" for nothing. */
  private static String cell(String text) {
    if (text == null || text.isEmpty()) {
      return "-";
    }
    return text.replace("|", "\\|").replace('\n', ' ').replace('\r', ' ');
  }

  private static String text(Instant instant) {
    return instant == null ? "-" : instant.truncatedTo(ChronoUnit.SECONDS).toString();
  }

  private static String plural(long count) {
    return count == 1 ? "" : "s";
  }

  private static String objective(long millis) {
    return millis <= 0 ? "none" : seconds(millis);
  }

  /** A duration as people read it: {@code 4.21s}, {@code 12m 05s}, {@code 3h 02m}. */
  static String seconds(long millis) {
    return DrillDurations.format(millis);
  }

  /** Human form with binary units: {@code 1.5 GiB}, {@code 312.0 KiB}, {@code 17 B}. */
  static String bytes(long bytes) {
    if (bytes < 1024) {
      return bytes + " B";
    }
    String[] units = {"KiB", "MiB", "GiB", "TiB", "PiB"};
    double value = bytes;
    int unit = -1;
    while (value >= 1024 && unit < units.length - 1) {
      value /= 1024;
      unit++;
    }
    return String.format(Locale.ROOT, "%.1f %s", value, units[unit]);
  }
}
