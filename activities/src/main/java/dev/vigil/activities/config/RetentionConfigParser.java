package dev.vigil.activities.config;

/** Parses {@code sources.<name>.retention}. */
final class RetentionConfigParser {
  private RetentionConfigParser() {}

  /** The source's policy, or null when it has none. */
  static RetentionConfig parse(ConfigNode source) {
    if (source.value.has("retention")) {
      source.problem("retention", "retention policies are not supported by this version of Vigil");
    }
    return null;
  }
}
