package dev.vigil.activities.config;

import java.util.List;

/** vigil.yaml is invalid: one line per problem, each naming the file, the field and the fix. */
public final class ConfigException extends RuntimeException {
  private final List<String> problems;

  public ConfigException(List<String> problems) {
    super(String.join("\n", problems));
    this.problems = List.copyOf(problems);
  }

  /** One line per problem, e.g. {@code vigil.yaml: sources.db.port: expected 1..65535}. */
  public List<String> problems() {
    return problems;
  }
}
