package dev.vigil.starter.read;

import java.time.Instant;
import java.time.LocalDate;
import java.util.List;

/**
 * The daily backup report of one UTC day: how each source stands, what the repositories hold, what
 * was restored and drilled, and what failed.
 *
 * @param asOf the instant ages are measured at: the end of the day, or now for today
 * @param storage current storage (the catalog keeps no history of it)
 * @param warnings what the day's backups warned about (size deviations, ...); last so that code
 *     reading the fields in order keeps working
 */
public record DailyReport(
    LocalDate day,
    Instant generatedAt,
    Instant asOf,
    List<SourceStatus> sources,
    List<StorageUsage> storage,
    List<ValidationEntry> validations,
    List<ReportError> errors,
    ReportTotals totals,
    List<ReportWarning> warnings) {}
