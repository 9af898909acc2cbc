package dev.vigil.workflows.notify;

/** One event for one configured channel (named, never its URL). */
public record Delivery(String channel, NotificationEvent event) {}
