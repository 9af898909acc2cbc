package dev.vigil.activities.notify;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Metrics;

/**
 * Delivery counters: Prometheus shows {@code notifications_sent_total{channel,event}} and {@code
 * notification_failures_total{channel,event}} (one per failed attempt, so a channel that is down
 * shows at once, long before its retries give up).
 */
public final class NotificationMetrics {
  private final MeterRegistry registry;

  /** Counters on Micrometer's global registry, which the worker's endpoint serves. */
  public NotificationMetrics() {
    this(Metrics.globalRegistry);
  }

  public NotificationMetrics(MeterRegistry registry) {
    this.registry = registry;
  }

  void sent(String channel, String event) {
    count("notifications.sent", "Notifications a channel accepted", channel, event);
  }

  void failed(String channel, String event) {
    count("notification.failures", "Failed notification attempts", channel, event);
  }

  private void count(String name, String description, String channel, String event) {
    Counter.builder(name)
        .description(description)
        .tag("channel", channel)
        .tag("event", event)
        .register(registry)
        .increment();
  }
}
