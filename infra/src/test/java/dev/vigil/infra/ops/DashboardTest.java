package dev.vigil.infra.ops;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The Grafana dashboard is valid JSON and charts every series an alert rule watches. */
class DashboardTest {
  private static final Pattern METRIC =
      Pattern.compile(
          "\\b(backup_[a-z_]+|drill_[a-z_]+|models_[a-z_]+|vigil_wal_[a-z_]+|vigil_check_[a-z_]+)\\b");

  @Test
  void dashboardChartsEverySeriesTheAlertsWatch() throws Exception {
    JsonNode dashboard =
        new ObjectMapper().readTree(Path.of("grafana/vigil-dashboard.json").toFile());
    StringBuilder charted = new StringBuilder();
    for (JsonNode panel : dashboard.get("panels")) {
      assertThat(panel.get("targets")).as(panel.get("title").asText()).isNotEmpty();
      panel
          .get("targets")
          .forEach(target -> charted.append(target.get("expr").asText()).append('\n'));
    }

    JsonNode rules = new YAMLMapper().readTree(Files.readString(Path.of("prometheus/alerts.yml")));
    List<String> watched = new ArrayList<>();
    for (JsonNode group : rules.get("groups")) {
      for (JsonNode rule : group.get("rules")) {
        Matcher metric = METRIC.matcher(rule.get("expr").asText());
        while (metric.find()) {
          watched.add(metric.group(1));
        }
      }
    }

    assertThat(dashboard.get("uid").asText()).isEqualTo("vigil-overview");
    assertThat(watched).isNotEmpty().allSatisfy(metric -> assertThat(charted).contains(metric));
  }
}
