package dev.vigil.activities.notify;

import dev.vigil.activities.VigilServices;
import dev.vigil.activities.common.VigilException;
import dev.vigil.activities.config.NotificationChannelConfig;
import dev.vigil.workflows.common.ErrorType;
import dev.vigil.workflows.notify.Delivery;
import dev.vigil.workflows.notify.NotificationEvent;
import dev.vigil.workflows.notify.NotifyActivities;
import dev.vigil.workflows.notify.ReportSummary;
import io.temporal.activity.Activity;
import java.time.LocalDate;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** See {@link NotifyActivities}: the channels of vigil.yaml's {@code notifications:} section. */
public final class NotifyActivitiesImpl implements NotifyActivities {
  private static final Logger log = LoggerFactory.getLogger(NotifyActivitiesImpl.class);

  private final VigilServices services;
  private final NotificationMetrics metrics;
  private final DailyReportSource reports;
  private final WebhookSender sender = new WebhookSender();

  /** {@code reports} builds the body of report events. */
  public NotifyActivitiesImpl(
      VigilServices services, NotificationMetrics metrics, DailyReportSource reports) {
    this.services = services;
    this.metrics = metrics;
    this.reports = reports;
  }

  @Override
  public List<String> channels(NotificationEvent event) {
    return services.config().notifications().values().stream()
        .filter(channel -> channel.takes(event.event(), event.outcome()))
        .map(NotificationChannelConfig::name)
        .toList();
  }

  @Override
  public ReportSummary summarizeReport(String date) {
    try {
      DailyReportSource.Report report = reports.build(LocalDate.parse(date));
      return new ReportSummary(date, report.errors(), report.summary());
    } catch (VigilException e) {
      throw e.type().failure(e.getMessage());
    }
  }

  @Override
  public void deliver(Delivery delivery) {
    String name = delivery.channel();
    NotificationEvent event = delivery.event();
    try {
      send(name, event);
      metrics.sent(name, event.event());
    } catch (VigilException e) {
      failed(name, event, e.getMessage());
      throw e.type().failure(e.getMessage());
    } catch (RuntimeException e) {
      failed(name, event, e.getClass().getSimpleName());
      throw e;
    }
  }

  private void failed(String channel, NotificationEvent event, String reason) {
    metrics.failed(channel, event.event());
    log.warn(
        "notification {} of {} to channel {} failed (attempt {}): {}",
        event.event(),
        event.id(),
        channel,
        Activity.getExecutionContext().getInfo().getAttempt(),
        reason);
  }

  private void send(String name, NotificationEvent event) {
    String setting = "notifications." + name;
    NotificationChannelConfig channel = services.config().notifications().get(name);
    if (channel == null) {
      throw new VigilException(
          ErrorType.NOTIFICATION_REJECTED,
          setting + ": no such channel in " + services.config().file() + " on this worker");
    }
    String url;
    try {
      url = services.secret(channel.url(), setting + ".url");
    } catch (VigilException e) {
      throw new VigilException(ErrorType.NOTIFICATION_REJECTED, e.getMessage());
    }
    String report =
        NotificationEvent.REPORT.equals(event.event())
            ? reports.build(LocalDate.parse(event.reportDate())).markdown()
            : null;
    String body =
        NotificationChannelConfig.SLACK.equals(channel.type())
            ? NotificationBodies.slack(event, report)
            : NotificationBodies.webhook(event, report);
    sender.post(setting, channel.url().describe(), url, body);
  }
}
