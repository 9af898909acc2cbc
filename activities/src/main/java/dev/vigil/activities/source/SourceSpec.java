package dev.vigil.activities.source;

import dev.vigil.activities.config.ConfigNode;
import dev.vigil.activities.config.Objectives;
import dev.vigil.activities.config.RowArchivalConfig;
import dev.vigil.activities.config.ValidationConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One source's mapping in vigil.yaml with the keys every kind shares already read.
 *
 * @param node the source's mapping: read the kind's own keys from it and record problems on it
 * @param repository the repository its backups go to (validated)
 * @param compression {@code auto}, {@code zstd} or {@code none}
 * @param checkLocalPaths whether paths on this host must exist (false for verbs run elsewhere)
 * @param validations where the source's validation checks go, by source name
 * @param rowArchival where the source's row archival goes, by source name
 */
public record SourceSpec(
    ConfigNode node,
    String repository,
    String compression,
    Objectives objectives,
    boolean checkLocalPaths,
    Map<String, List<ValidationConfig>> validations,
    Map<String, RowArchivalConfig> rowArchival) {

  /** Keys every source may have, whatever its type. */
  public static final List<String> SHARED_KEYS =
      List.of("type", "repository", "copies", "compression", "objectives", "retention");

  /** The source's name. */
  public String name() {
    return node.key;
  }

  /** Allows the shared keys and {@code own}: any other key is reported as unknown. */
  public void allow(String... own) {
    List<String> keys = new ArrayList<>(SHARED_KEYS);
    keys.addAll(List.of(own));
    node.allow(keys.toArray(String[]::new));
  }
}
