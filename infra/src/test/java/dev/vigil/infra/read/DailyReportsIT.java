package dev.vigil.infra.read;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.groups.Tuple.tuple;

import dev.vigil.activities.common.Json;
import dev.vigil.starter.read.DailyReport;
import dev.vigil.starter.read.DailyReports;
import dev.vigil.starter.read.ReportError;
import dev.vigil.starter.read.ReportWarning;
import dev.vigil.starter.read.SourceStatus;
import dev.vigil.starter.read.ValidationEntry;
import java.time.Clock;
import java.time.LocalDate;
import java.time.ZoneOffset;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The daily report built from a real catalog, as JSON and Markdown. */
class DailyReportsIT {
  private static CatalogRows rows;
  private static DailyReport report;

  @BeforeAll
  static void build() {
    rows = CatalogRows.withHistory();
    Clock noonOfTheDay = Clock.fixed(CatalogRows.at("2026-11-20T12:00:00Z"), ZoneOffset.UTC);
    report = new DailyReports(rows.reader, noonOfTheDay).build(LocalDate.parse(CatalogRows.DAY));
  }

  @Test
  void everySourceHasItsOutcomeAgeAndLastArchivedSize() {
    assertThat(report.sources())
        .extracting(
            SourceStatus::source,
            SourceStatus::outcome,
            SourceStatus::lastBackupId,
            SourceStatus::ageSeconds,
            SourceStatus::storedBytes,
            SourceStatus::backupsOfDay,
            SourceStatus::failuresOfDay)
        .containsExactly(
            tuple("appdb", "OK", "appdb-2", 10L * 3600 - 30, 800L, 1, 0),
            tuple("models", "FAILED", "models-2", 10L * 86400 + 10 * 3600 - 300, 5000L, 1, 1),
            tuple("old", "NEVER", "old-1", null, 0L, 0, 0));
    assertThat(report.asOf()).isEqualTo(CatalogRows.at("2026-11-20T12:00:00Z"));
  }

  @Test
  void errorsOfTheDayHaveTypeAndReason() {
    assertThat(report.errors())
        .extracting(ReportError::type, ReportError::id, ReportError::failureType)
        .containsExactly(
            tuple("backup", "models-2", "SOURCE_UNREACHABLE"),
            tuple("restore", "restore-appdb-2", "TARGET_NOT_EMPTY"),
            tuple("drill", "drill-nightly-1", "DRILL_FAILED"));
    assertThat(report.errors().get(0).reason()).contains("/srv/models is missing");
  }

  @Test
  void warningsOfTheDayIncludeSizeDeviations() {
    assertThat(report.warnings())
        .extracting(ReportWarning::backupId, ReportWarning::source, ReportWarning::warning)
        .containsExactly(tuple("appdb-2", "appdb", "size deviates 60% from the 7-day average"));
    assertThat(DailyReports.markdown(report))
        .contains(
            "## Warnings\n\n| backup | source | at | warning |\n|---|---|---|---|\n| appdb-2 |"
                + " appdb |")
        .endsWith("| size deviates 60% from the 7-day average |\n");
  }

  @Test
  void validationsAreTheDaysRestoresAndDrillsAndEachPlansLatestDrill() {
    assertThat(report.validations())
        .extracting(
            ValidationEntry::type,
            ValidationEntry::id,
            ValidationEntry::passed,
            ValidationEntry::sameDay)
        .containsExactly(
            tuple("restore", "restore-appdb-2", false, true),
            tuple("restore", "restore-appdb-1", true, true),
            tuple("drill", "drill-nightly-1", false, true),
            tuple("drill", "drill-quarterly-1", true, false));
    assertThat(report.validations().get(2).detail())
        .isEqualTo("RTO 3m 00s (objective 1m 00s), RPO 4h 00m (objective 1d 00h), 1 component");
  }

  @Test
  void totalsAndStorage() {
    assertThat(report.totals().sources()).isEqualTo(3);
    assertThat(report.totals().backups()).isEqualTo(2);
    assertThat(report.totals().archived()).isEqualTo(1);
    assertThat(report.totals().failed()).isEqualTo(1);
    assertThat(report.totals().storedBytes()).isEqualTo(800);
    assertThat(report.totals().restores()).isEqualTo(2);
    assertThat(report.totals().drills()).isEqualTo(1);
    assertThat(report.totals().errors()).isEqualTo(3);
    assertThat(report.totals().storedBytesTotal()).isEqualTo(5000 + 1340);
    assertThat(report.storage()).hasSize(2);
  }

  @Test
  void jsonHasTheSectionsAndIsoTimes() throws Exception {
    var json = Json.MAPPER.readTree(Json.MAPPER.writeValueAsString(report));

    assertThat(json.get("day").asText()).isEqualTo("2026-11-20");
    assertThat(json.get("sources").get(0).get("source").asText()).isEqualTo("appdb");
    assertThat(json.get("sources").get(0).get("lastSuccessAt").asText())
        .isEqualTo("2026-11-20T02:00:30Z");
    assertThat(json.get("storage").get(0).get("storageClass").asText()).isEqualTo("GLACIER");
    assertThat(json.get("errors")).hasSize(3);
  }

  @Test
  void markdownHasARowPerSourceAndEverySection() {
    String markdown = DailyReports.markdown(report);

    assertThat(markdown)
        .startsWith("# Vigil daily report: 2026-11-20 (UTC)")
        .contains("| appdb | database | OK | appdb-2 | ARCHIVED | 2026-11-20T02:00:30Z | 9h 59m")
        .contains("| models | model | FAILED | models-2 | FAILED |")
        .contains("| old | database | NEVER | old-1 | PRUNED | - | - | - | 0 backups |")
        .contains("| main | GLACIER | 1 | 1 | 4.9 KiB |")
        .contains("| drill | drill-quarterly-1 | quarterly | PASSED (latest, earlier day) |")
        .contains(
            "| backup | models-2 | models | 2026-11-20T02:00:05Z | SOURCE_UNREACHABLE | source"
                + " models: directory /srv/models is missing |")
        .contains("## Storage", "## Validation", "## Errors");
  }

  @Test
  void emptyCatalogGivesAnEmptyReport() {
    DailyReport nothing =
        new DailyReports(CatalogRows.empty().reader, Clock.systemUTC())
            .build(LocalDate.parse("2026-11-20"));

    assertThat(nothing.sources()).isEmpty();
    assertThat(DailyReports.markdown(nothing))
        .contains("No backups in the catalog yet.", "Nothing stored.", "None.")
        .endsWith("## Warnings\n\nNone.\n");
  }
}
