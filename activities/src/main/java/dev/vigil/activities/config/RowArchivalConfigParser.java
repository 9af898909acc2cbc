package dev.vigil.activities.config;

/** Parses {@code sources.<name>.archive-rows}. */
final class RowArchivalConfigParser {
  private RowArchivalConfigParser() {}

  /** The source's row archival, or null when it has none. */
  static RowArchivalConfig parse(ConfigNode source) {
    if (source.value.has("archive-rows")) {
      source.problem("archive-rows", "row archival is not supported by this version of Vigil");
    }
    return null;
  }
}
