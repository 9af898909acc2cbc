package dev.vigil.worker;

import dev.vigil.activities.repair.RunState;
import dev.vigil.activities.repair.RunStates;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.temporal.api.common.v1.WorkflowExecution;
import io.temporal.api.enums.v1.WorkflowExecutionStatus;
import io.temporal.api.workflowservice.v1.DescribeWorkflowExecutionRequest;
import io.temporal.serviceclient.WorkflowServiceStubs;

/**
 * {@link RunStates} from Temporal's DescribeWorkflowExecution, which the test server and a real
 * server both answer (no visibility store needed). Failures other than "not found" propagate.
 */
public final class TemporalRunStates implements RunStates {
  private final WorkflowServiceStubs service;
  private final String namespace;

  public TemporalRunStates(WorkflowServiceStubs service, String namespace) {
    this.service = service;
    this.namespace = namespace;
  }

  @Override
  public RunState of(String workflowId) {
    try {
      WorkflowExecutionStatus status =
          service
              .blockingStub()
              .describeWorkflowExecution(
                  DescribeWorkflowExecutionRequest.newBuilder()
                      .setNamespace(namespace)
                      .setExecution(WorkflowExecution.newBuilder().setWorkflowId(workflowId))
                      .build())
              .getWorkflowExecutionInfo()
              .getStatus();
      return status == WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING
          ? RunState.OPEN
          : RunState.CLOSED;
    } catch (StatusRuntimeException e) {
      if (e.getStatus().getCode() == Status.Code.NOT_FOUND) {
        return RunState.UNKNOWN;
      }
      throw e;
    }
  }
}
