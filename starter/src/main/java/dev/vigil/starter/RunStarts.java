package dev.vigil.starter;

import dev.vigil.workflows.connection.TemporalStubs;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.temporal.api.enums.v1.WorkflowIdReusePolicy;
import io.temporal.api.operatorservice.v1.ListSearchAttributesRequest;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowExecutionAlreadyStarted;
import io.temporal.client.WorkflowOptions;
import io.temporal.common.SearchAttributeKey;
import io.temporal.common.SearchAttributes;
import io.temporal.serviceclient.OperatorServiceStubs;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts a run with its search attributes and its summary for the Temporal UI. A server refuses a
 * run that carries attributes it does not know, so the attributes go along only when the namespace
 * lists them; otherwise the run starts without them, after one warning per process.
 */
public final class RunStarts {
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
    try {
      start.accept(client.newWorkflowStub(type, labelled(client, options, attributes, summary)));
    } catch (WorkflowExecutionAlreadyStarted e) {
      throw new DuplicateRunException(options.getWorkflowId());
    }
    return options.getWorkflowId();
  }

  /**
   * {@code options} plus {@code summary}, and plus {@code attributes} when the client's namespace
   * has them registered (see the class comment).
   */
  public static WorkflowOptions labelled(
      WorkflowClient client, WorkflowOptions options, SearchAttributes attributes, String summary) {
    WorkflowOptions.Builder labelled =
        WorkflowOptions.newBuilder(options).setStaticSummary(summary);
    if (known(client, attributes)) {
      labelled.setTypedSearchAttributes(attributes);
    }
    return labelled.build();
  }

  /** Options of a run with a business id: a second start of the same id is refused. */
  static WorkflowOptions options(String taskQueue, String workflowId, Duration timeout) {
    return WorkflowOptions.newBuilder()
        .setTaskQueue(taskQueue)
        .setWorkflowId(workflowId)
        .setWorkflowIdReusePolicy(WorkflowIdReusePolicy.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE)
        .setWorkflowExecutionTimeout(timeout)
        .build();
  }

  /** The one source a run over {@code sources} is about, or null for none or several. */
  public static String onlySource(List<String> sources) {
    return sources != null && sources.size() == 1 ? sources.get(0) : null;
  }

  /** {@code sources} for a summary: "appdb, models", or "all sources" when none is named. */
  static String describe(List<String> sources) {
    return sources == null || sources.isEmpty() ? "all sources" : String.join(", ", sources);
  }

  /** Whether the client's namespace has every attribute of {@code attributes} registered. */
  public static boolean known(WorkflowClient client, SearchAttributes attributes) {
    String namespace = client.getOptions().getNamespace();
    OperatorServiceStubs operator = TemporalStubs.operator(client.getWorkflowServiceStubs());
    try {
      Set<String> registered =
          operator
              .blockingStub()
              .withDeadlineAfter(10, TimeUnit.SECONDS)
              .listSearchAttributes(
                  ListSearchAttributesRequest.newBuilder().setNamespace(namespace).build())
              .getCustomAttributesMap()
              .keySet();
      return covers(registered, attributes) || warn(namespace, "not registered");
    } catch (StatusRuntimeException e) {
      // Temporal's test server cannot list attributes; Vigil's worker registers them there.
      return e.getStatus().getCode() == Status.Code.UNIMPLEMENTED
          || warn(namespace, e.getStatus().getCode() + ": " + e.getStatus().getDescription());
    } finally {
      // The channel is the client's: only this wrapper is released.
      operator.shutdown();
    }
  }

  /** Whether {@code registered} names every attribute of {@code attributes}. */
  static boolean covers(Set<String> registered, SearchAttributes attributes) {
    return attributes.getUntypedValues().keySet().stream()
        .map(SearchAttributeKey::getName)
        .allMatch(registered::contains);
  }

  private static boolean warn(String namespace, String why) {
    if (warned.compareAndSet(false, true)) {
      log.warn(
          "Vigil's search attributes are not usable in namespace {} ({}); runs start without them."
              + " Start a worker (it registers them) or register VigilSource, VigilKind,"
              + " VigilOutcome and VigilTriggeredBy as Keyword with `temporal operator"
              + " search-attribute create`",
          namespace,
          why);
    }
    return false;
  }
}
