package dev.vigil.starter.api;

import dev.vigil.starter.read.CatalogGauges;
import dev.vigil.starter.read.CatalogReader;
import dev.vigil.starter.read.DailyReports;
import dev.vigil.starter.read.RunStatusReader;
import io.micronaut.context.annotation.Bean;
import io.micronaut.context.annotation.Factory;
import io.micronaut.context.annotation.Value;
import io.temporal.client.WorkflowClient;
import jakarta.inject.Named;
import jakarta.inject.Singleton;
import java.time.Clock;
import java.time.Duration;
import javax.sql.DataSource;

/** The read side over the API's catalog connection and Temporal client. */
@Factory
final class ReadFactory {
  @Singleton
  CatalogReader catalogReader(@Named("catalog") DataSource catalog) {
    return new CatalogReader(catalog);
  }

  @Singleton
  RunStatusReader runStatusReader(WorkflowClient client) {
    return new RunStatusReader(client);
  }

  @Singleton
  DailyReports dailyReports(CatalogReader reader) {
    return new DailyReports(reader, Clock.systemUTC());
  }

  /** Bound to the Prometheus registry by Micronaut (it binds every MeterBinder bean). */
  @Singleton
  @Bean(preDestroy = "close")
  CatalogGauges catalogGauges(
      CatalogReader reader, @Value("${vigil.api.gauges-refresh:30s}") Duration refreshEvery) {
    return new CatalogGauges(reader, refreshEvery);
  }
}
