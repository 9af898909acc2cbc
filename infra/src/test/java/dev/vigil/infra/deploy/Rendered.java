package dev.vigil.infra.deploy;

import static dev.vigil.infra.deploy.Processes.run;
import static dev.vigil.infra.deploy.Processes.tool;
import static dev.vigil.infra.deploy.YamlTree.list;
import static dev.vigil.infra.deploy.YamlTree.map;
import static dev.vigil.infra.deploy.YamlTree.stringMap;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Stream;

/** What {@code kubectl kustomize <dir>} renders, as objects to look up by kind and name. */
record Rendered(String text, List<Map<String, Object>> objects) {

  static Rendered kustomize(Path directory) throws IOException, InterruptedException {
    Processes.Result build =
        run(directory, Map.of(), tool("kubectl", "kubernetes-client"), "kustomize", ".");
    assertThat(build.exitCode()).as(build.output()).isZero();
    return new Rendered(build.output(), YamlTree.parseAll(build.output()));
  }

  List<Map<String, Object>> ofKind(String kind) {
    return objects.stream().filter(object -> kind.equals(object.get("kind"))).toList();
  }

  Map<String, Object> get(String kind, String name) {
    return ofKind(kind).stream()
        .filter(object -> name.equals(name(object)))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no " + kind + " " + name + " rendered"));
  }

  /** The one ConfigMap kustomize generated from vigil.yaml ({@code vigil-config-<hash>}). */
  Map<String, Object> config() {
    List<Map<String, Object>> generated =
        ofKind("ConfigMap").stream().filter(map -> name(map).startsWith("vigil-config-")).toList();
    assertThat(generated).hasSize(1);
    return generated.get(0);
  }

  static String name(Map<String, Object> object) {
    return (String) map(object.get("metadata")).get("name");
  }

  static Map<String, Object> podSpec(Map<String, Object> workload) {
    return map(map(map(workload.get("spec")).get("template")).get("spec"));
  }

  static Map<String, String> podLabels(Map<String, Object> workload) {
    return stringMap(
        map(map(map(workload.get("spec")).get("template")).get("metadata")).get("labels"));
  }

  /** Every container of the pod, init containers first. */
  static List<Map<String, Object>> containers(Map<String, Object> workload) {
    Map<String, Object> spec = podSpec(workload);
    return Stream.concat(
            list(spec.get("initContainers")).stream(), list(spec.get("containers")).stream())
        .map(YamlTree::map)
        .toList();
  }

  /** The pod's named container ports: name to number. */
  static Map<String, Integer> namedPorts(Map<String, Object> workload) {
    Map<String, Integer> ports = new HashMap<>();
    for (Map<String, Object> container : containers(workload)) {
      for (Object port : list(container.get("ports"))) {
        ports.put((String) map(port).get("name"), (Integer) map(port).get("containerPort"));
      }
    }
    return ports;
  }

  /** The volume of the pod named {@code name}. */
  static Map<String, Object> volume(Map<String, Object> workload, String name) {
    return list(podSpec(workload).get("volumes")).stream()
        .map(YamlTree::map)
        .filter(volume -> Objects.equals(name, volume.get("name")))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no volume " + name));
  }
}
