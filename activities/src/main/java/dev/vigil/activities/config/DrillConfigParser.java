package dev.vigil.activities.config;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vigil.workflows.common.Cron;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Parses the top-level {@code drills:} section. Without one, the config has a single plan {@code
 * default} over every source, on the sources' own objectives, quarterly.
 */
final class DrillConfigParser {
  private static final Pattern PLAN_NAME = Pattern.compile("[a-z0-9][a-z0-9-]{0,62}");

  private DrillConfigParser() {}

  static Map<String, DrillPlanConfig> parse(ConfigNode drills, Map<String, SourceConfig> sources) {
    Map<String, DrillPlanConfig> plans = new LinkedHashMap<>();
    if (drills.missing()) {
      plans.put(
          DrillPlanConfig.DEFAULT_PLAN,
          new DrillPlanConfig(
              DrillPlanConfig.DEFAULT_PLAN,
              List.copyOf(sources.keySet()),
              Objectives.NONE,
              DrillPlanConfig.QUARTERLY));
      return plans;
    }
    for (ConfigNode plan : drills.entries()) {
      if (!PLAN_NAME.matcher(plan.key).matches()) {
        plan.problem("", "plan names are lower-case letters, digits and '-' (they go into ids)");
      }
      if (!plan.value.isObject()) {
        plan.problem("", "expected a mapping with sources, objectives and schedule");
        continue;
      }
      plan.allow("sources", "objectives", "schedule");
      List<String> names = sourceNames(plan, sources);
      ConfigNode objectives = plan.child("objectives");
      objectives.allow("rpo", "rto");
      Objectives total =
          objectives.missing()
              ? Objectives.NONE
              : new Objectives(objectives.duration("rpo"), objectives.duration("rto"));
      String schedule = plan.text("schedule", DrillPlanConfig.QUARTERLY);
      checkCron(plan, schedule);
      plans.put(plan.key, new DrillPlanConfig(plan.key, names, total, schedule));
    }
    if (plans.isEmpty()) {
      drills.problem("", "no drill plans; remove the section for the default plan, or add one");
    }
    return plans;
  }

  private static List<String> sourceNames(ConfigNode plan, Map<String, SourceConfig> sources) {
    JsonNode listed = plan.value.get("sources");
    if (listed == null || listed.isNull()) {
      return List.copyOf(sources.keySet());
    }
    if (!listed.isArray() || listed.isEmpty()) {
      plan.problem("sources", "expected a list of source names such as [appdb, models]");
      return List.of();
    }
    List<String> names = new ArrayList<>();
    for (JsonNode element : listed) {
      String name = element.asText();
      if (!sources.containsKey(name)) {
        plan.problem("sources", "no source '" + name + "'; known: " + sources.keySet());
      } else if (names.contains(name)) {
        plan.problem("sources", "source '" + name + "' is listed twice");
      } else {
        names.add(name);
      }
    }
    return List.copyOf(names);
  }

  private static void checkCron(ConfigNode plan, String schedule) {
    try {
      Cron.parse(schedule);
    } catch (IllegalArgumentException e) {
      plan.problem("schedule", e.getMessage());
    }
  }
}
