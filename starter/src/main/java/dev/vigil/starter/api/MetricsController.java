package dev.vigil.starter.api;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Get;
import io.micronaut.http.annotation.Produces;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;

/**
 * The Prometheus scrape at {@code /metrics} (unauthenticated, like the worker's): the catalog
 * gauges ({@code backup_last_success_timestamp}, drill RTO/RPO, ...) and the API's own JVM and HTTP
 * metrics. Blocking: a scrape may refresh the catalog gauges.
 */
@Controller
@Tag(name = "operations")
final class MetricsController {
  /** Prometheus' text exposition format, version 0.0.4. */
  static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";

  private final PrometheusMeterRegistry registry;

  MetricsController(PrometheusMeterRegistry registry) {
    this.registry = registry;
  }

  @Get("/metrics")
  @Produces(PROMETHEUS_TEXT)
  @ExecuteOn(TaskExecutors.BLOCKING)
  @Operation(summary = "Prometheus scrape (no token needed)")
  String scrape() {
    return registry.scrape();
  }
}
