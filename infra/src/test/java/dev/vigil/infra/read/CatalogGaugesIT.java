package dev.vigil.infra.read;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vigil.starter.read.CatalogGauges;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The catalog gauges as Prometheus scrapes them: exact names, labels, units and values. */
class CatalogGaugesIT {

  @Test
  void scrapeHasTheExactNamesOfTheAlertRulesWithOneSeriesPerSourceAndPlan() {
    CatalogRows rows = CatalogRows.withHistory();
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    try (CatalogGauges gauges = new CatalogGauges(rows.reader, Duration.ofHours(1))) {
      gauges.bindTo(registry);
      String scrape = registry.scrape();

      assertThat(value(scrape, "backup_last_success_timestamp{kind=\"database\",source=\"appdb\"}"))
          .isEqualTo(CatalogRows.at("2026-11-20T02:00:30Z").getEpochSecond());
      assertThat(value(scrape, "backup_size_bytes{kind=\"database\",source=\"appdb\"}"))
          .isEqualTo(800);
      assertThat(value(scrape, "backup_duration_seconds{kind=\"database\",source=\"appdb\"}"))
          .isEqualTo(30);
      // The failed backup of models does not count: its last success is the cold one.
      assertThat(value(scrape, "backup_size_bytes{kind=\"model\",source=\"models\"}"))
          .isEqualTo(5000);
      assertThat(scrape).doesNotContain("source=\"old\"");
      assertThat(value(scrape, "drill_last_run_timestamp{plan=\"nightly\"}"))
          .isEqualTo(CatalogRows.at("2026-11-20T06:03:00Z").getEpochSecond());
      assertThat(value(scrape, "drill_rto_seconds{plan=\"nightly\"}")).isEqualTo(180);
      assertThat(value(scrape, "drill_rpo_seconds{plan=\"nightly\"}")).isEqualTo(14400);
      assertThat(value(scrape, "drill_rto_objective_seconds{plan=\"nightly\"}")).isEqualTo(60);
      assertThat(value(scrape, "drill_rpo_objective_seconds{plan=\"nightly\"}")).isEqualTo(86400);
      // No objective, no series: 0 would put every drill over objective.
      assertThat(scrape).doesNotContain("drill_rto_objective_seconds{plan=\"quarterly\"}");
      assertThat(value(scrape, "drill_schedule_interval_seconds{plan=\"quarterly\"}"))
          .isEqualTo(7776000);
      assertThat(scrape).doesNotContain("drill_schedule_interval_seconds{plan=\"nightly\"}");

      rows.backup(
          "appdb-3",
          "set-3",
          "appdb",
          "database",
          "ARCHIVED",
          "2026-11-21T02:00:00Z",
          "2026-11-21T02:00:10Z",
          2100,
          900,
          "STANDARD");
      rows.backup(
          "lake-1",
          "set-3",
          "lake",
          "dataset",
          "ARCHIVED",
          "2026-11-21T02:00:00Z",
          "2026-11-21T02:02:00Z",
          10,
          7,
          "STANDARD");
      assertThat(value(registry.scrape(), "backup_size_bytes{kind=\"database\",source=\"appdb\"}"))
          .as("cached until the next refresh")
          .isEqualTo(800);

      gauges.refresh();
      String refreshed = registry.scrape();

      assertThat(value(refreshed, "backup_size_bytes{kind=\"database\",source=\"appdb\"}"))
          .isEqualTo(900);
      assertThat(value(refreshed, "backup_duration_seconds{kind=\"dataset\",source=\"lake\"}"))
          .isEqualTo(120);
    }
  }

  @Test
  void refreshesOnItsOwnAndKeepsValuesWhenTheCatalogIsGone() throws Exception {
    CatalogRows rows = CatalogRows.withHistory();
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    try (CatalogGauges gauges = new CatalogGauges(rows.reader, Duration.ofMillis(200))) {
      gauges.bindTo(registry);
      rows.execute("UPDATE vigil.backup SET stored_bytes = 850 WHERE backup_id = 'appdb-2'");

      long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      while (value(registry.scrape(), "backup_size_bytes{kind=\"database\",source=\"appdb\"}")
              != 850
          && System.nanoTime() < deadline) {
        Thread.sleep(50);
      }
      assertThat(value(registry.scrape(), "backup_size_bytes{kind=\"database\",source=\"appdb\"}"))
          .isEqualTo(850);

      rows.execute("ALTER TABLE vigil.backup RENAME TO backup_gone");
      gauges.refresh();

      assertThat(value(registry.scrape(), "backup_size_bytes{kind=\"database\",source=\"appdb\"}"))
          .isEqualTo(850);
    }
  }

  /** The value of the sample {@code series} (name and labels exactly as exported). */
  private static double value(String scrape, String series) {
    Matcher sample = Pattern.compile("(?m)^" + Pattern.quote(series) + " (\\S+)$").matcher(scrape);
    assertThat(sample.find()).as(series + " in scrape:\n" + scrape).isTrue();
    return Double.parseDouble(sample.group(1));
  }
}
