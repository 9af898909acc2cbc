package dev.vigil.infra.deploy;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * Deployment YAML as plain maps and lists. SnakeYAML, not Jackson: compose files use anchors and
 * merge keys ({@code <<: *vigil}), which SnakeYAML resolves as compose does.
 */
final class YamlTree {
  private YamlTree() {}

  static Map<String, Object> parse(String text) {
    return new Yaml(new SafeConstructor(new LoaderOptions())).load(text);
  }

  /** Every document of a multi-document stream ({@code ---}), such as kustomize's output. */
  static List<Map<String, Object>> parseAll(String text) {
    List<Map<String, Object>> documents = new ArrayList<>();
    for (Object document : new Yaml(new SafeConstructor(new LoaderOptions())).loadAll(text)) {
      if (document != null) {
        documents.add(map(document));
      }
    }
    return documents;
  }

  /** {@code value} as a mapping; empty when it is absent or not a mapping. */
  @SuppressWarnings("unchecked")
  static Map<String, Object> map(Object value) {
    return value instanceof Map<?, ?> map ? (Map<String, Object>) map : Map.of();
  }

  /** {@code value} as a mapping of strings (labels, selectors). */
  @SuppressWarnings("unchecked")
  static Map<String, String> stringMap(Object value) {
    return value instanceof Map<?, ?> map ? (Map<String, String>) map : Map.of();
  }

  /** {@code value} as a list; empty when it is absent or not a list. */
  @SuppressWarnings("unchecked")
  static List<Object> list(Object value) {
    return value instanceof List<?> list ? (List<Object>) list : List.of();
  }
}
