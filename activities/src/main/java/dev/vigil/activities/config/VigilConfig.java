package dev.vigil.activities.config;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A validated vigil.yaml. Maps keep the file's order.
 *
 * @param validations per source name: queries a restored database must pass
 * @param retention per source name: its retention policy (sources without one are absent)
 * @param rowArchival per source name: its row archival (sources without one are absent)
 * @param copies per source name: the repositories its archived backups are copied to, besides its
 *     own (sources without copies are absent)
 * @param drills per drill plan name
 * @param schedules per schedule name: the declared ones, else the defaults
 * @param metrics the worker's metrics and health endpoint
 * @param api the HTTP API's port, bind address and tokens ({@link ApiConfig#NONE} without a
 *     section)
 * @param notifications per channel name: where run outcomes and daily reports are sent (empty:
 *     none)
 */
public record VigilConfig(
    Path file,
    TemporalConfig temporal,
    WorkerConfig worker,
    CatalogConfig catalog,
    Map<String, RepositoryConfig> repositories,
    EncryptionConfig encryption,
    Map<String, SourceConfig> sources,
    Map<String, List<ValidationConfig>> validations,
    Map<String, RetentionConfig> retention,
    Map<String, RowArchivalConfig> rowArchival,
    Map<String, List<String>> copies,
    Map<String, DrillPlanConfig> drills,
    Map<String, ScheduleConfig> schedules,
    MetricsConfig metrics,
    ApiConfig api,
    Map<String, NotificationChannelConfig> notifications) {

  /**
   * The names of the sources whose backups are physical copies of a whole cluster (postgres with
   * {@code mode: physical}, whose WAL is archived), in the file's order.
   */
  public List<String> physicalSources() {
    List<String> names = new ArrayList<>();
    sources.forEach(
        (name, source) -> {
          if (source instanceof PostgresSourceConfig postgres && postgres.physical()) {
            names.add(name);
          }
        });
    return names;
  }

  /** The repositories {@code source}'s backups are copied to; empty for none. */
  public List<String> copiesOf(String source) {
    return copies.getOrDefault(source, List.of());
  }
}
