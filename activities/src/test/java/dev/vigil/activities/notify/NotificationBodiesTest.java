package dev.vigil.activities.notify;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vigil.workflows.notify.NotificationEvent;
import org.junit.jupiter.api.Test;

/** The documented bodies, field by field (the README's "Notifications" shows the same). */
class NotificationBodiesTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static final NotificationEvent DRILL =
      new NotificationEvent(
          "drill",
          "failure",
          "drill-quarterly-20261122T030000Z",
          "drill-quarterly-20261122T030000Z",
          "quarterly",
          null,
          "FAILED",
          "DRILL_FAILED",
          NotificationEvent.oneLine("RTO 7200.00s over objective 1h 00m\nsecond line"),
          0,
          0,
          1_795_316_400_000L,
          1_795_323_600_000L,
          7_200_000,
          7_200_000,
          60_000,
          3_600_000,
          0,
          null);

  @Test
  void aDrillCarriesItsRtoAndRpoAgainstItsObjectives() throws Exception {
    JsonNode body = JSON.readTree(NotificationBodies.webhook(DRILL, null));

    assertThat(body.get("event").asText()).isEqualTo("drill");
    assertThat(body.at("/drill/rtoSeconds").asDouble()).isEqualTo(7200.0);
    assertThat(body.at("/drill/rpoSeconds").asDouble()).isEqualTo(60.0);
    assertThat(body.at("/drill/rtoObjectiveSeconds").asDouble()).isEqualTo(3600.0);
    assertThat(body.at("/drill/rpoObjectiveSeconds").isNull()).isTrue();
    assertThat(body.at("/error/code").asText()).isEqualTo("DRILL_FAILED");
    assertThat(body.at("/error/message").asText()).isEqualTo("RTO 7200.00s over objective 1h 00m");
    assertThat(body.get("startedAt").asText()).isEqualTo("2026-11-22T03:00:00Z");
    assertThat(body.has("sizes")).isFalse();
    assertThat(body.get("text").asText())
        .isEqualTo(
            "Vigil drill drill-quarterly-20261122T030000Z FAILED (plan quarterly), RTO 7200.0 s,"
                + " RPO 60.0 s: DRILL_FAILED: RTO 7200.00s over objective 1h 00m");
  }

  @Test
  void slackGetsTextAndEscapedBlocksWithTheReportCut() throws Exception {
    NotificationEvent report =
        new NotificationEvent(
            "report",
            "failure",
            "report-daily-x",
            "2026-11-22",
            null,
            null,
            "ERRORS",
            null,
            null,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            "2026-11-22");
    JsonNode body =
        JSON.readTree(NotificationBodies.slack(report, "# <report> & " + "x".repeat(5000)));

    assertThat(body.get("text").asText()).isEqualTo("Vigil report 2026-11-22 ERRORS");
    String details = body.at("/blocks/1/text/text").asText();
    assertThat(details).contains("&lt;report&gt; &amp;").endsWith("\n…```");
    assertThat(details.length()).isLessThan(3000);
  }
}
