package dev.vigil.infra.cli;

import dev.vigil.activities.config.TemporalConfig;
import dev.vigil.workflows.connection.TemporalAccessException;
import dev.vigil.workflows.connection.TemporalStubs;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowClientOptions;
import io.temporal.serviceclient.WorkflowServiceStubs;

/** A client of the Temporal server named in vigil.yaml, closed when a command is done. */
final class TemporalConnection implements AutoCloseable {
  private final WorkflowServiceStubs service;
  private final WorkflowClient client;

  private TemporalConnection(WorkflowServiceStubs service, WorkflowClient client) {
    this.service = service;
    this.client = client;
  }

  /**
   * Connects to {@code temporal}; a TLS or API key problem throws {@link TemporalAccessException}
   * with one line naming the setting, before the command does anything.
   */
  static TemporalConnection open(TemporalConfig temporal) {
    WorkflowServiceStubs service =
        TemporalStubs.connect(temporal.access(), System::getenv, options -> {});
    return new TemporalConnection(
        service,
        WorkflowClient.newInstance(
            service,
            WorkflowClientOptions.newBuilder().setNamespace(temporal.namespace()).build()));
  }

  WorkflowClient client() {
    return client;
  }

  @Override
  public void close() {
    service.shutdown();
  }
}
