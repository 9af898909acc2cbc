package dev.vigil.workflows.notify;

import io.temporal.activity.ActivityInterface;
import io.temporal.activity.ActivityMethod;
import java.util.List;

/** Sends run outcomes to the channels of vigil.yaml's {@code notifications:} section. */
@ActivityInterface
public interface NotifyActivities {
  /** The names of the channels whose filters take {@code event}; empty when none is configured. */
  @ActivityMethod(name = "NotificationChannels")
  List<String> channels(NotificationEvent event);

  /** The gist of the daily report of UTC day {@code date} ({@code 2026-11-22}). */
  @ActivityMethod(name = "SummarizeDailyReport")
  ReportSummary summarizeReport(String date);

  /**
   * Sends the event to one channel. A channel that does not answer or answers with a server error
   * fails retryably ({@code NOTIFICATION_FAILED}); one that refuses the request (4xx, bad address)
   * fails for good ({@code NOTIFICATION_REJECTED}).
   */
  @ActivityMethod(name = "DeliverNotification")
  void deliver(Delivery delivery);
}
