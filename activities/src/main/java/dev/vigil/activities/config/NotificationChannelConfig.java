package dev.vigil.activities.config;

import java.util.Set;

/**
 * One channel of the {@code notifications:} section.
 *
 * @param type {@code webhook} (Vigil's JSON body) or {@code slack} (a Slack-compatible incoming
 *     webhook: {@code text} and {@code blocks})
 * @param url where the channel posts; a reference, because such URLs carry tokens
 * @param on the outcomes sent: {@code success}, {@code failure}
 * @param events the events sent: {@code backup}, {@code drill}, {@code report}
 */
public record NotificationChannelConfig(
    String name, String type, SecretRef url, Set<String> on, Set<String> events) {
  public static final String WEBHOOK = "webhook";
  public static final String SLACK = "slack";

  /** Whether this channel takes an event of {@code event} kind with {@code outcome}. */
  public boolean takes(String event, String outcome) {
    return events.contains(event) && on.contains(outcome);
  }
}
