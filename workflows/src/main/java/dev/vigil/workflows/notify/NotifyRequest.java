package dev.vigil.workflows.notify;

import java.util.List;

/** The outcomes one run reports, in order. */
public record NotifyRequest(List<NotificationEvent> events) {}
