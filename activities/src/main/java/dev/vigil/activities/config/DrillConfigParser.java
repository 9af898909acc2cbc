package dev.vigil.activities.config;

import java.util.LinkedHashMap;
import java.util.Map;

/** Parses the top-level {@code drills:} section. */
final class DrillConfigParser {
  private DrillConfigParser() {}

  static Map<String, DrillPlanConfig> parse(ConfigNode drills, Map<String, SourceConfig> sources) {
    if (!drills.missing()) {
      drills.problem("", "drill plans are not supported by this version of Vigil");
    }
    return new LinkedHashMap<>();
  }
}
