package dev.vigil.worker;

import dev.vigil.workflows.common.SearchAttributes;
import dev.vigil.workflows.connection.TemporalStubs;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.temporal.api.enums.v1.IndexedValueType;
import io.temporal.api.operatorservice.v1.AddSearchAttributesRequest;
import io.temporal.common.SearchAttributeKey;
import io.temporal.serviceclient.OperatorServiceStubs;
import io.temporal.serviceclient.WorkflowServiceStubs;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Registers Vigil's search attributes ({@link SearchAttributes#ALL}) in the worker's namespace, one
 * at a time so an attribute that exists already does not hide one that does not. A server that
 * refuses (no permission, no operator API) gets one warning line: runs then start without the
 * attributes (see {@code RunStarts}) and nothing fails on them.
 */
public final class SearchAttributeRegistration {
  private static final Logger log = LoggerFactory.getLogger(SearchAttributeRegistration.class);

  private SearchAttributeRegistration() {}

  /** Registers every attribute; returns false (after one warning) if the server refused. */
  public static boolean register(WorkflowServiceStubs service, String namespace) {
    OperatorServiceStubs operator = TemporalStubs.operator(service);
    try {
      for (SearchAttributeKey<String> key : SearchAttributes.ALL) {
        try {
          operator
              .blockingStub()
              .withDeadlineAfter(10, TimeUnit.SECONDS)
              .addSearchAttributes(
                  AddSearchAttributesRequest.newBuilder()
                      .setNamespace(namespace)
                      .putSearchAttributes(
                          key.getName(), IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD)
                      .build());
        } catch (StatusRuntimeException e) {
          if (!alreadyThere(e)) {
            log.warn(
                "search attribute {} not registered in namespace {} ({}: {}); runs start without"
                    + " Vigil's search attributes. Register them with `temporal operator"
                    + " search-attribute create --name {} --type Keyword` (and the other Vigil*)",
                key.getName(),
                namespace,
                e.getStatus().getCode(),
                e.getStatus().getDescription(),
                key.getName());
            return false;
          }
        }
      }
      return true;
    } finally {
      // The channel is the client's: only this wrapper is released.
      operator.shutdown();
    }
  }

  private static boolean alreadyThere(StatusRuntimeException e) {
    Status.Code code = e.getStatus().getCode();
    String description = String.valueOf(e.getStatus().getDescription()).toLowerCase();
    return code == Status.Code.ALREADY_EXISTS
        || (code == Status.Code.INVALID_ARGUMENT && description.contains("already"));
  }
}
