package dev.vigil.starter.api;

import dev.vigil.starter.BackupClient;
import dev.vigil.starter.DrillClient;
import dev.vigil.starter.RestoreClient;
import dev.vigil.starter.RetentionClient;
import dev.vigil.starter.RunCanceller;
import dev.vigil.starter.schedule.JdbcScheduleStore;
import dev.vigil.starter.schedule.ScheduleStore;
import dev.vigil.starter.schedule.Scheduler;
import dev.vigil.workflows.connection.TemporalAccessException;
import dev.vigil.workflows.connection.TemporalStubs;
import io.micronaut.context.annotation.Bean;
import io.micronaut.context.annotation.Factory;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowClientOptions;
import io.temporal.serviceclient.WorkflowServiceStubs;
import jakarta.inject.Named;
import jakarta.inject.Singleton;
import javax.sql.DataSource;

/**
 * One Temporal connection for the API process and the run clients over it. The stubs connect
 * lazily, so the API starts while Temporal is down and answers TEMPORAL_UNAVAILABLE until it is
 * back; TLS material that cannot work (a missing key, an expired certificate) stops the start with
 * one line.
 */
@Factory
final class TemporalFactory {
  @Singleton
  @Bean(preDestroy = "shutdown")
  WorkflowServiceStubs workflowServiceStubs(TemporalProperties temporal) {
    try {
      return TemporalStubs.open(temporal.access(), System::getenv);
    } catch (TemporalAccessException e) {
      throw new ApiConfigurationException(e.getMessage());
    }
  }

  @Singleton
  WorkflowClient workflowClient(WorkflowServiceStubs stubs, TemporalProperties temporal) {
    return WorkflowClient.newInstance(
        stubs, WorkflowClientOptions.newBuilder().setNamespace(temporal.namespace()).build());
  }

  @Singleton
  BackupClient backupClient(WorkflowClient client, TemporalProperties temporal) {
    return new BackupClient(client, temporal.taskQueue());
  }

  @Singleton
  RestoreClient restoreClient(WorkflowClient client, TemporalProperties temporal) {
    return new RestoreClient(client, temporal.taskQueue());
  }

  @Singleton
  DrillClient drillClient(WorkflowClient client, TemporalProperties temporal) {
    return new DrillClient(client, temporal.taskQueue());
  }

  @Singleton
  RetentionClient retentionClient(WorkflowClient client, TemporalProperties temporal) {
    return new RetentionClient(client, temporal.taskQueue());
  }

  @Singleton
  RunCanceller runCanceller(WorkflowClient client) {
    return new RunCanceller(client);
  }

  @Singleton
  ScheduleStore scheduleStore(@Named("catalog") DataSource catalog) {
    return new JdbcScheduleStore(catalog);
  }

  @Singleton
  Scheduler scheduler(WorkflowClient client, TemporalProperties temporal, ScheduleStore store) {
    return new Scheduler(client, temporal.taskQueue(), store);
  }
}
