package dev.vigil.infra.cli;

import dev.vigil.activities.config.TemporalConfig;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowClientOptions;
import io.temporal.serviceclient.WorkflowServiceStubs;
import io.temporal.serviceclient.WorkflowServiceStubsOptions;

/** A client of the Temporal server named in vigil.yaml, closed when a command is done. */
final class TemporalConnection implements AutoCloseable {
  private final WorkflowServiceStubs service;
  private final WorkflowClient client;

  private TemporalConnection(WorkflowServiceStubs service, WorkflowClient client) {
    this.service = service;
    this.client = client;
  }

  static TemporalConnection open(TemporalConfig temporal) {
    WorkflowServiceStubs service =
        WorkflowServiceStubs.newServiceStubs(
            WorkflowServiceStubsOptions.newBuilder().setTarget(temporal.target()).build());
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
