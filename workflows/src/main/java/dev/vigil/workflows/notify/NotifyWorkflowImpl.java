package dev.vigil.workflows.notify;

import dev.vigil.workflows.common.ActivityProfiles;
import dev.vigil.workflows.common.ErrorType;
import dev.vigil.workflows.common.Failures;
import io.temporal.activity.ActivityOptions;
import io.temporal.common.RetryOptions;
import io.temporal.failure.ActivityFailure;
import io.temporal.workflow.Async;
import io.temporal.workflow.Promise;
import io.temporal.workflow.Workflow;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;

/** See {@link NotifyWorkflow}. Deterministic: no I/O, no wall clock. */
public final class NotifyWorkflowImpl implements NotifyWorkflow {
  private static final Logger log = Workflow.getLogger(NotifyWorkflowImpl.class);

  /**
   * A delivery: 30 s per attempt, retried from 2 s doubling up to 5 minutes apart for an hour, so a
   * receiver that restarts or a brief outage loses nothing; a refusal (4xx) is not retried.
   */
  static final ActivityOptions DELIVERY =
      ActivityOptions.newBuilder()
          .setStartToCloseTimeout(Duration.ofSeconds(30))
          .setScheduleToCloseTimeout(Duration.ofHours(1))
          .setRetryOptions(
              RetryOptions.newBuilder()
                  .setInitialInterval(Duration.ofSeconds(2))
                  .setBackoffCoefficient(2)
                  .setMaximumInterval(Duration.ofMinutes(5))
                  .setDoNotRetry(ErrorType.nonRetryableTypes())
                  .build())
          .build();

  /** Reading the config's channels: the shared profile, bounded to ten minutes. */
  static final ActivityOptions ROUTING =
      ActivityOptions.newBuilder(ActivityProfiles.SHARED)
          .setScheduleToCloseTimeout(Duration.ofMinutes(10))
          .build();

  @Override
  public NotifyResult deliver(NotifyRequest request) {
    return deliverAll(request.events());
  }

  /**
   * Workflow code: sends each event to each channel that takes it, every delivery retried on its
   * own; a delivery that gives up is logged and listed, never thrown.
   */
  static NotifyResult deliverAll(List<NotificationEvent> events) {
    NotifyActivities routing = Workflow.newActivityStub(NotifyActivities.class, ROUTING);
    NotifyActivities deliveries = Workflow.newActivityStub(NotifyActivities.class, DELIVERY);
    List<String> failures = new ArrayList<>();
    Map<String, Promise<Void>> sends = new LinkedHashMap<>();
    for (NotificationEvent event : events) {
      List<String> channels;
      try {
        channels = routing.channels(event);
      } catch (ActivityFailure failure) {
        failures.add(event.id() + ": " + Failures.reason(failure));
        continue;
      }
      for (String channel : channels) {
        sends.put(
            event.id() + " → " + channel,
            Async.procedure(deliveries::deliver, new Delivery(channel, event)));
      }
    }
    int delivered = 0;
    for (Map.Entry<String, Promise<Void>> send : sends.entrySet()) {
      try {
        send.getValue().get();
        delivered++;
      } catch (ActivityFailure failure) {
        String line = send.getKey() + ": " + Failures.reason(failure);
        log.warn("notification not delivered: {}", line);
        failures.add(line);
      }
    }
    return new NotifyResult(delivered, failures);
  }
}
