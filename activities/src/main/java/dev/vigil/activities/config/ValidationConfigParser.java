package dev.vigil.activities.config;

import java.util.List;

/** Parses {@code sources.<name>.validations}. */
final class ValidationConfigParser {
  private ValidationConfigParser() {}

  static List<ValidationConfig> parse(ConfigNode source) {
    if (source.value.has("validations")) {
      source.problem(
          "validations", "validation queries are not supported by this version of Vigil");
    }
    return List.of();
  }
}
