package dev.vigil.activities.config;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeSet;

/**
 * Parses {@code repositories:}: each entry by its {@code type:} ({@code s3} when it names none, so
 * configs written before there were other kinds keep working). A new kind is one parser registered
 * in {@link #KINDS}.
 */
final class RepositoryConfigParser {
  /** Parses one entry of a kind; reports problems on the node, returns null if unusable. */
  @FunctionalInterface
  interface KindParser {
    RepositoryConfig parse(ConfigNode repository);
  }

  /** Every repository kind by its {@code type:}. */
  private static final Map<String, KindParser> KINDS =
      Map.of(
          "s3",
          repository -> S3RepositoryConfigParser.parse(repository, "s3"),
          "gcs",
          repository -> S3RepositoryConfigParser.parse(repository, "gcs"),
          "filesystem",
          FilesystemRepositoryConfigParser::parse);

  private RepositoryConfigParser() {}

  static Map<String, RepositoryConfig> parse(ConfigNode node) {
    Map<String, RepositoryConfig> repositories = new LinkedHashMap<>();
    for (ConfigNode repository : node.entries()) {
      if (!ConfigLoader.validName(repository)) {
        continue;
      }
      String type = repository.text("type", "s3");
      KindParser kind = type == null ? null : KINDS.get(type);
      if (kind == null) {
        if (type != null) {
          repository.problem(
              "type",
              "unknown repository type \"" + type + "\"; known: " + new TreeSet<>(KINDS.keySet()));
        }
        continue;
      }
      RepositoryConfig parsed = kind.parse(repository);
      if (parsed != null) {
        repositories.put(repository.key, parsed);
      }
    }
    // An entry with a problem of its own is reported as that, not also as "none named".
    if (node.entries().isEmpty() && !node.missing()) {
      node.problem("", "name at least one repository");
    }
    return repositories;
  }
}
