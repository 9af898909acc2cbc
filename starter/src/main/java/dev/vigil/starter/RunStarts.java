package dev.vigil.starter;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowExecutionAlreadyStarted;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowServiceException;
import io.temporal.common.SearchAttributes;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts a run with its search attributes and its summary for the Temporal UI. A server that has
 * not registered Vigil's attributes (its operator refused the worker's registration) refuses such a
 * start; the run then starts without them, after one warning per process.
 */
final class RunStarts {
  private static final Logger log = LoggerFactory.getLogger(RunStarts.class);
  private static final AtomicBoolean warned = new AtomicBoolean();

  private RunStarts() {}

  /**
   * Starts {@code type} with {@code options} plus {@code attributes} and {@code summary}; {@code
   * start} calls {@code WorkflowClient.start} on the stub it is given. Returns the workflow id, or
   * throws {@link DuplicateRunException} if that id was started before.
   */
  static <W> String start(
      WorkflowClient client,
      Class<W> type,
      WorkflowOptions options,
      SearchAttributes attributes,
      String summary,
      Consumer<W> start) {
    WorkflowOptions labelled =
        WorkflowOptions.newBuilder(options).setStaticSummary(summary).build();
    try {
      try {
        start.accept(
            client.newWorkflowStub(
                type,
                WorkflowOptions.newBuilder(labelled).setTypedSearchAttributes(attributes).build()));
      } catch (WorkflowExecutionAlreadyStarted e) {
        throw e;
      } catch (WorkflowServiceException e) {
        if (!refusedSearchAttributes(e)) {
          throw e;
        }
        if (warned.compareAndSet(false, true)) {
          log.warn(
              "Temporal refused Vigil's search attributes ({}); runs start without them. Register"
                  + " VigilSource, VigilKind, VigilOutcome, VigilTriggeredBy (Keyword) with"
                  + " `temporal operator search-attribute create`",
              e.getCause() == null ? e.getMessage() : e.getCause().getMessage());
        }
        start.accept(client.newWorkflowStub(type, labelled));
      }
    } catch (WorkflowExecutionAlreadyStarted e) {
      throw new DuplicateRunException(options.getWorkflowId());
    }
    return options.getWorkflowId();
  }

  private static boolean refusedSearchAttributes(Throwable error) {
    for (Throwable cause = error; cause != null; cause = cause.getCause()) {
      if (cause instanceof StatusRuntimeException status
          && status.getStatus().getCode() == Status.Code.INVALID_ARGUMENT
          && String.valueOf(status.getStatus().getDescription())
              .toLowerCase(Locale.ROOT)
              .contains("search attribute")) {
        return true;
      }
    }
    return false;
  }
}
