package dev.vigil.activities.config;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vigil.workflows.common.Cron;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Parses the top-level {@code schedules:} section. Without one, the defaults apply: a nightly
 * backup of every source, a weekly restore test and a quarterly drill per drill plan, and a daily
 * retention run where retention is configured. A section, even an empty one, replaces them.
 */
final class ScheduleConfigParser {
  private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9-]{0,62}");
  private static final Set<String> KINDS =
      Set.of(
          ScheduleConfig.BACKUP,
          ScheduleConfig.RESTORE_TEST,
          ScheduleConfig.DRILL,
          ScheduleConfig.RETENTION,
          ScheduleConfig.REPORT);

  static final String NIGHTLY_BACKUP_CRON = "0 2 * * *";
  static final String WEEKLY_RESTORE_TEST_CRON = "0 4 * * 0";
  static final String DAILY_RETENTION_CRON = "30 5 * * *";
  static final String DEFAULT_BACKUP_PLAN = "nightly";

  private ScheduleConfigParser() {}

  static Map<String, ScheduleConfig> parse(
      ConfigNode section,
      Map<String, SourceConfig> sources,
      Map<String, DrillPlanConfig> drills,
      boolean retentionConfigured) {
    if (section.missing()) {
      return defaults(drills, retentionConfigured);
    }
    Map<String, ScheduleConfig> schedules = new LinkedHashMap<>();
    for (ConfigNode entry : section.entries()) {
      if (!NAME.matcher(entry.key).matches()) {
        entry.problem(
            "", "schedule names are lower-case letters, digits and '-' (they go into ids)");
        continue;
      }
      if (!entry.value.isObject()) {
        entry.problem("", "expected a mapping with kind and cron");
        continue;
      }
      entry.allow("kind", "cron", "plan", "sources", "catchup-window", "paused");
      String kind = entry.oneOf("kind", null, KINDS);
      String cron = cron(entry);
      Duration catchup = entry.duration("catchup-window");
      boolean paused = entry.bool("paused", false);
      if (kind == null) {
        continue;
      }
      String plan = plan(entry, kind, drills);
      List<String> names = sourceNames(entry, kind, sources);
      schedules.put(
          entry.key,
          new ScheduleConfig(
              entry.key,
              kind,
              cron,
              plan,
              names,
              catchup == null ? ScheduleConfig.DEFAULT_CATCHUP_WINDOW : catchup,
              paused));
    }
    return schedules;
  }

  private static Map<String, ScheduleConfig> defaults(
      Map<String, DrillPlanConfig> drills, boolean retentionConfigured) {
    Map<String, ScheduleConfig> schedules = new LinkedHashMap<>();
    add(
        schedules,
        "nightly-backup",
        ScheduleConfig.BACKUP,
        NIGHTLY_BACKUP_CRON,
        DEFAULT_BACKUP_PLAN);
    if (!drills.isEmpty()) {
      add(
          schedules,
          "weekly-restore-test",
          ScheduleConfig.RESTORE_TEST,
          WEEKLY_RESTORE_TEST_CRON,
          defaultDrillPlan(drills));
    }
    for (DrillPlanConfig plan : drills.values()) {
      String name = drills.size() == 1 ? "quarterly-drill" : "quarterly-drill-" + plan.name();
      add(schedules, name, ScheduleConfig.DRILL, plan.schedule(), plan.name());
    }
    if (retentionConfigured) {
      add(schedules, "daily-retention", ScheduleConfig.RETENTION, DAILY_RETENTION_CRON, null);
    }
    return schedules;
  }

  private static void add(
      Map<String, ScheduleConfig> schedules, String name, String kind, String cron, String plan) {
    schedules.put(
        name,
        new ScheduleConfig(
            name, kind, cron, plan, List.of(), ScheduleConfig.DEFAULT_CATCHUP_WINDOW, false));
  }

  /** The drill plan of a restore test that names none: {@code default}, else the first. */
  private static String defaultDrillPlan(Map<String, DrillPlanConfig> drills) {
    return drills.containsKey(DrillPlanConfig.DEFAULT_PLAN)
        ? DrillPlanConfig.DEFAULT_PLAN
        : drills.keySet().iterator().next();
  }

  private static String cron(ConfigNode entry) {
    String cron = entry.text("cron", null);
    if (cron == null) {
      entry.problem(
          "cron",
          "missing; five fields, UTC (minute hour day-of-month month day-of-week), e.g. \""
              + NIGHTLY_BACKUP_CRON
              + "\"");
      return null;
    }
    try {
      return Cron.parse(cron).expression();
    } catch (IllegalArgumentException e) {
      entry.problem("cron", e.getMessage());
      return null;
    }
  }

  private static String plan(ConfigNode entry, String kind, Map<String, DrillPlanConfig> drills) {
    String plan = entry.text("plan", null);
    switch (kind) {
      case ScheduleConfig.RETENTION -> {
        if (plan != null) {
          entry.problem("plan", "a retention schedule has no plan; remove it (use sources)");
        }
        return null;
      }
      case ScheduleConfig.REPORT -> {
        if (plan != null) {
          entry.problem("plan", "a report schedule has no plan; the report covers every source");
        }
        return null;
      }
      case ScheduleConfig.BACKUP -> {
        if (plan != null && !NAME.matcher(plan).matches()) {
          entry.problem("plan", "plan names are lower-case letters, digits and '-'");
        }
        return plan == null ? entry.key : plan;
      }
      default -> {
        if (plan == null) {
          return drills.isEmpty() ? null : defaultDrillPlan(drills);
        }
        if (!drills.containsKey(plan)) {
          entry.problem(
              "plan", "no drill plan '" + plan + "'; known: " + drills.keySet() + " (drills:)");
        }
        return plan;
      }
    }
  }

  private static List<String> sourceNames(
      ConfigNode entry, String kind, Map<String, SourceConfig> sources) {
    JsonNode listed = entry.value.get("sources");
    if (listed == null || listed.isNull()) {
      return List.of();
    }
    if (kind.equals(ScheduleConfig.REPORT)) {
      entry.problem("sources", "a report schedule has no sources; the report covers every source");
      return List.of();
    }
    if (kind.equals(ScheduleConfig.RESTORE_TEST) || kind.equals(ScheduleConfig.DRILL)) {
      entry.problem(
          "sources", "a " + kind + " restores its drill plan's sources; set them under drills:");
      return List.of();
    }
    if (!listed.isArray() || listed.isEmpty()) {
      entry.problem("sources", "expected a list of source names such as [appdb, models]");
      return List.of();
    }
    List<String> names = new ArrayList<>();
    for (JsonNode element : listed) {
      String name = element.asText();
      if (!sources.containsKey(name)) {
        entry.problem("sources", "no source '" + name + "'; known: " + sources.keySet());
      } else if (!names.contains(name)) {
        names.add(name);
      }
    }
    return List.copyOf(names);
  }
}
