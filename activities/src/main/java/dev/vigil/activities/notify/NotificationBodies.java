package dev.vigil.activities.notify;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.vigil.activities.common.Json;
import dev.vigil.workflows.notify.NotificationEvent;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The bodies Vigil posts: its own documented JSON for {@code webhook} channels, and Slack's {@code
 * text} + {@code blocks} for {@code slack} channels. The field names are a contract (README,
 * "Notifications"): add fields, never rename them.
 */
public final class NotificationBodies {
  /** The version of the webhook body's fields; raised only if a field changes meaning. */
  public static final int SCHEMA_VERSION = 1;

  private NotificationBodies() {}

  /** Vigil's webhook body. {@code report} is the daily report's Markdown, or null. */
  public static String webhook(NotificationEvent event, String report) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("schema", SCHEMA_VERSION);
    body.put("event", event.event());
    body.put("outcome", event.outcome());
    body.put("status", event.status());
    body.put("id", event.id());
    body.put("workflowId", event.workflowId());
    body.put("plan", event.plan());
    body.put("source", event.source());
    body.put(
        "error",
        NotificationEvent.FAILURE.equals(event.outcome())
                && !NotificationEvent.REPORT.equals(event.event())
            ? error(event.errorCode(), event.message())
            : null);
    if (NotificationEvent.BACKUP.equals(event.event())) {
      Map<String, Object> sizes = new LinkedHashMap<>();
      sizes.put("rawBytes", event.rawBytes());
      sizes.put("storedBytes", event.storedBytes());
      body.put("sizes", sizes);
    }
    body.put("durationSeconds", seconds(event.durationMillis()));
    if (NotificationEvent.DRILL.equals(event.event())) {
      Map<String, Object> drill = new LinkedHashMap<>();
      drill.put("rtoSeconds", seconds(event.rtoMillis()));
      drill.put("rpoSeconds", seconds(event.rpoMillis()));
      drill.put(
          "rtoObjectiveSeconds",
          event.rtoObjectiveMillis() > 0 ? seconds(event.rtoObjectiveMillis()) : null);
      drill.put(
          "rpoObjectiveSeconds",
          event.rpoObjectiveMillis() > 0 ? seconds(event.rpoObjectiveMillis()) : null);
      body.put("drill", drill);
    }
    if (NotificationEvent.REPORT.equals(event.event())) {
      body.put("date", event.reportDate());
      body.put("summary", event.message());
      body.put("report", report);
    }
    body.put("startedAt", time(event.startedAtMillis()));
    body.put("finishedAt", time(event.finishedAtMillis()));
    body.put("text", summary(event));
    return json(body);
  }

  /** A Slack incoming-webhook body: the summary as {@code text}, the details as blocks. */
  public static String slack(NotificationEvent event, String report) {
    List<Object> blocks = new ArrayList<>();
    blocks.add(section("*" + escape(summary(event)) + "*"));
    List<String> details = new ArrayList<>();
    if (event.message() != null) {
      details.add(
          (event.errorCode() == null ? "" : "`" + event.errorCode() + "` ")
              + escape(event.message()));
    }
    details.add("run `" + escape(event.workflowId()) + "`");
    if (report != null) {
      // Slack caps a section's text at 3000 characters.
      String text = report.length() > 2900 ? report.substring(0, 2900) + "\n…" : report;
      details.add("```" + escape(text) + "```");
    }
    blocks.add(section(String.join("\n", details)));
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("text", summary(event));
    body.put("blocks", blocks);
    return json(body);
  }

  /** The one line every channel shows, e.g. {@code Vigil backup appdb-… FAILED (appdb): …}. */
  public static String summary(NotificationEvent event) {
    StringBuilder line = new StringBuilder("Vigil ").append(event.event()).append(' ');
    line.append(event.id()).append(' ').append(event.status());
    if (event.source() != null) {
      line.append(" (source ").append(event.source()).append(')');
    } else if (event.plan() != null) {
      line.append(" (plan ").append(event.plan()).append(')');
    }
    if (NotificationEvent.BACKUP.equals(event.event()) && event.storedBytes() > 0) {
      line.append(", ").append(event.storedBytes()).append(" bytes stored");
    }
    if (NotificationEvent.DRILL.equals(event.event())) {
      line.append(", RTO ")
          .append(seconds(event.rtoMillis()))
          .append(" s, RPO ")
          .append(seconds(event.rpoMillis()))
          .append(" s");
    }
    if (event.message() != null) {
      line.append(": ");
      if (event.errorCode() != null) {
        line.append(event.errorCode()).append(": ");
      }
      line.append(event.message());
    }
    return line.toString();
  }

  private static Map<String, Object> error(String code, String message) {
    Map<String, Object> error = new LinkedHashMap<>();
    error.put("code", code);
    error.put("message", message);
    return error;
  }

  private static Map<String, Object> section(String markdown) {
    return Map.of("type", "section", "text", Map.of("type", "mrkdwn", "text", markdown));
  }

  /** Slack's three control characters in mrkdwn. */
  private static String escape(String text) {
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
  }

  private static double seconds(long millis) {
    return Duration.ofMillis(millis).toMillis() / 1000.0;
  }

  private static String time(long millis) {
    return millis > 0 ? Instant.ofEpochMilli(millis).toString() : null;
  }

  private static String json(Map<String, Object> body) {
    try {
      return Json.MAPPER.writeValueAsString(body);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write a notification body", e);
    }
  }
}
