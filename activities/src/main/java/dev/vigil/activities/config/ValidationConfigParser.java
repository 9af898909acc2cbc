package dev.vigil.activities.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/**
 * Parses {@code sources.<name>.validations}: a list of {@code {name, query, expect}} run against a
 * restored copy of the database.
 */
public final class ValidationConfigParser {
  private static final Set<String> FIELDS = Set.of("name", "query", "expect");

  private ValidationConfigParser() {}

  public static List<ValidationConfig> parse(ConfigNode source) {
    JsonNode list = source.missing() ? null : source.value.get("validations");
    if (list == null || list.isNull()) {
      return List.of();
    }
    if (!list.isArray()) {
      source.problem(
          "validations",
          "expected a list such as [{name: recent-rows, query: \"SELECT count(*) FROM t\","
              + " expect: \"> 0\"}]");
      return List.of();
    }
    List<ValidationConfig> validations = new ArrayList<>();
    Set<String> names = new HashSet<>();
    for (int index = 0; index < list.size(); index++) {
      String at = "validations[" + index + "]";
      JsonNode item = list.get(index);
      if (!item.isObject()) {
        source.problem(at, "expected a mapping with name, query and expect");
        continue;
      }
      for (Iterator<String> fields = item.fieldNames(); fields.hasNext(); ) {
        String field = fields.next();
        if (!FIELDS.contains(field)) {
          source.problem(at + "." + field, "unknown field; expected one of [name, query, expect]");
        }
      }
      String name = text(item, "name");
      String query = text(item, "query");
      String expect = text(item, "expect");
      boolean valid = true;
      if (name == null) {
        source.problem(at + ".name", "missing");
        valid = false;
      } else if (!names.add(name)) {
        source.problem(at + ".name", "duplicate validation name \"" + name + "\"");
        valid = false;
      }
      if (query == null) {
        source.problem(at + ".query", "missing; a query returning one number");
        valid = false;
      }
      String expectProblem = ValidationConfig.problemWith(expect);
      if (expectProblem != null) {
        source.problem(at + ".expect", expect == null ? "missing; e.g. \"> 0\"" : expectProblem);
        valid = false;
      }
      if (valid) {
        validations.add(new ValidationConfig(name, query, expect));
      }
    }
    return List.copyOf(validations);
  }

  private static String text(JsonNode item, String field) {
    JsonNode value = item.get(field);
    if (value == null || value.isNull() || !value.isValueNode() || value.asText().isBlank()) {
      return null;
    }
    return value.asText();
  }
}
