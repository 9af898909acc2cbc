package dev.vigil.workflows.notify;

import dev.vigil.workflows.common.ErrorType;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/** For workflow tests: one channel "ops" that takes everything; records deliveries, or fails. */
public final class RecordingNotifyActivities implements NotifyActivities {
  public final List<Delivery> delivered = new CopyOnWriteArrayList<>();
  public final AtomicInteger attempts = new AtomicInteger();
  public volatile boolean failing;

  @Override
  public List<String> channels(NotificationEvent event) {
    return List.of("ops");
  }

  @Override
  public ReportSummary summarizeReport(String date) {
    return new ReportSummary(date, false, "no backups");
  }

  @Override
  public void deliver(Delivery delivery) {
    attempts.incrementAndGet();
    if (failing) {
      throw ErrorType.NOTIFICATION_FAILED.failure("notifications.ops: cannot reach 127.0.0.1:9");
    }
    delivered.add(delivery);
  }
}
