package dev.vigil.infra.deploy;

import static dev.vigil.infra.deploy.Processes.run;
import static dev.vigil.infra.deploy.Processes.tool;
import static dev.vigil.infra.deploy.YamlTree.list;
import static dev.vigil.infra.deploy.YamlTree.map;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.yaml.snakeyaml.Yaml;

/**
 * The deployment files checked by the tools that will read them, without a Docker engine or a
 * cluster: promtool (Prometheus config + rules), docker-compose v1 (schema and interpolation of the
 * compose file; needs no engine for {@code config}), amtool (the Alertmanager config) and kubectl's
 * built-in kustomize. ./run-tests installs promtool, amtool, docker-compose and (when missing)
 * kubectl.
 */
class DeploymentToolsIT {
  private static final Path COMPOSE_DIR = Path.of("deploy/compose").toAbsolutePath();
  private static final Path K8S_DIR = Path.of("deploy/k8s").toAbsolutePath();
  private static final Path MONITORING = K8S_DIR.resolve("monitoring");
  private static final Path ALERTS = Path.of("prometheus/alerts.yml").toAbsolutePath();
  private static final String CONFIG_PATH = "/etc/vigil/vigil.yaml";

  @TempDir Path temp;

  /** How many alert rules alerts.yml declares: every one must be loaded, whatever their number. */
  private static long alertRules() throws java.io.IOException {
    try (var lines = Files.lines(Path.of("prometheus/alerts.yml"))) {
      return lines.filter(line -> line.strip().startsWith("- alert:")).count();
    }
  }

  @Test
  void composePrometheusConfigAndTheRulesItLoadsPassPromtool() throws Exception {
    // The layout compose mounts: /etc/prometheus/{prometheus.yml,alerts.yml}.
    Files.copy(COMPOSE_DIR.resolve("prometheus.yml"), temp.resolve("prometheus.yml"));
    Files.copy(Path.of("prometheus/alerts.yml"), temp.resolve("alerts.yml"));

    Processes.Result check =
        run(temp, Map.of(), tool("promtool", "prometheus"), "check", "config", "prometheus.yml");

    assertThat(check.exitCode()).as(check.output()).isZero();
    assertThat(check.output())
        .contains("prometheus.yml is valid prometheus config file syntax")
        .contains("SUCCESS: " + alertRules() + " rules found");
  }

  @Test
  void composeFileIsValidForDockerCompose() throws Exception {
    String compose = tool("docker-compose", "docker-compose");

    Processes.Result check =
        run(COMPOSE_DIR, Map.of(), compose, "-f", "docker-compose.yml", "config", "-q");
    Processes.Result services =
        run(COMPOSE_DIR, Map.of(), compose, "-f", "docker-compose.yml", "config", "--services");

    assertThat(check.exitCode()).as(check.output()).isZero();
    assertThat(services.output().lines())
        .containsExactlyInAnyOrder(
            "postgres",
            "temporal-schema",
            "temporal",
            "temporal-namespace",
            "temporal-ui",
            "minio",
            "minio-init",
            "vigil-worker",
            "vigil-api",
            "vigil-schedules",
            "prometheus",
            "alertmanager",
            "grafana");
  }

  @Test
  void composeAlertmanagerConfigPassesAmtool() throws Exception {
    Processes.Result check =
        run(
            COMPOSE_DIR,
            Map.of(),
            tool("amtool", "prometheus-alertmanager"),
            "check-config",
            "alertmanager.yml");

    assertThat(check.exitCode()).as(check.output()).isZero();
    assertThat(check.output()).contains("SUCCESS").contains(" - 1 receivers");
  }

  @Test
  void kustomizationBuildsWithTheGeneratedConfigWiredIn() throws Exception {
    Processes.Result build =
        run(K8S_DIR, Map.of(), tool("kubectl", "kubernetes-client"), "kustomize", ".");

    assertThat(build.exitCode()).as(build.output()).isZero();
    String rendered = build.output();
    assertThat(rendered)
        .contains("kind: Namespace", "kind: StatefulSet", "kind: Deployment")
        .contains("kind: PodDisruptionBudget", "kind: ConfigMap")
        .doesNotContain("kind: Secret");
    // The generated name carries a content hash, and the workloads mount that name.
    String configMap =
        rendered
            .lines()
            .map(String::strip)
            .filter(line -> line.matches("name: vigil-config-[a-z0-9]+"))
            .findFirst()
            .orElseThrow();
    assertThat(rendered.split(configMap, -1)).hasSize(4);
    assertThat(rendered.split("namespace: vigil\n", -1)).hasSizeGreaterThan(6);
    assertThat(rendered)
        .as("the base applies on clusters without the Prometheus operator's CRDs")
        .doesNotContain("monitoring.coreos.com");
  }

  @Test
  void everyContainerRunsTheImageTheKustomizationNamesOnce() throws Exception {
    Map<String, Object> image = map(list(k8s("kustomization.yaml").get("images")).get(0));
    String expected = image.get("newName") + ":" + image.get("newTag");
    assertThat(expected).startsWith("registry.example.com/");

    Rendered rendered = Rendered.kustomize(K8S_DIR);

    List<String> images = new ArrayList<>();
    for (String kind : List.of("Deployment", "StatefulSet", "Job", "CronJob")) {
      for (Map<String, Object> workload : rendered.ofKind(kind)) {
        Rendered.containers(workload)
            .forEach(container -> images.add((String) container.get("image")));
      }
    }
    // worker, API, and the API's schedules-apply init container
    assertThat(images).hasSize(3).containsOnly(expected);

    // An operator's overlay replaces the placeholder in one entry and every container follows.
    Path overlay =
        overlay(
            "images:\n  - name: "
                + image.get("newName")
                + "\n    newName: my.registry:5000/ops/vigil\n    newTag: 0.2.0\n");
    String operators = Rendered.kustomize(overlay).text();
    assertThat(operators.split("image: my.registry:5000/ops/vigil:0.2.0\n", -1)).hasSize(4);
    assertThat(operators).doesNotContain("registry.example.com");
  }

  @Test
  void schedulesApplyRunsBeforeTheApiWithTheMountedConfigAndAgainWhenTheConfigChanges()
      throws Exception {
    Rendered rendered = Rendered.kustomize(K8S_DIR);
    Map<String, Object> api = rendered.get("Deployment", "vigil-api");

    Map<String, Object> apply = map(list(Rendered.podSpec(api).get("initContainers")).get(0));
    List<Object> args = list(apply.get("args"));
    assertThat(args).containsExactly("schedules", "apply", "--config", CONFIG_PATH);
    String configDir = CONFIG_PATH.substring(0, CONFIG_PATH.lastIndexOf('/'));
    Map<String, String> mounts = new HashMap<>();
    list(apply.get("volumeMounts"))
        .forEach(m -> mounts.put((String) map(m).get("mountPath"), (String) map(m).get("name")));
    // The config it reads is the generated ConfigMap's vigil.yaml; the catalog password from the
    // Secret (apply records the schedules in the catalog).
    Map<String, Object> configVolume = Rendered.volume(api, mounts.get(configDir));
    Map<String, Object> generated = rendered.config();
    assertThat(map(configVolume.get("configMap")).get("name")).isEqualTo(Rendered.name(generated));
    assertThat(map(generated.get("data")).get("vigil.yaml"))
        .isEqualTo(Files.readString(K8S_DIR.resolve("vigil.yaml")));
    assertThat(map(Rendered.volume(api, mounts.get("/run/secrets/vigil")).get("secret")))
        .containsEntry("secretName", "vigil-secrets");
    assertThat(mounts).containsKey("/tmp");
    Map<String, Object> security = map(apply.get("securityContext"));
    assertThat(security).containsEntry("readOnlyRootFilesystem", true);
    assertThat(map(map(apply.get("resources")).get("limits"))).containsKey("memory");
    // One pod at a time in a rollout: the applies of one rollout do not overlap.
    Map<String, Object> rolling =
        map(map(map(api.get("spec")).get("strategy")).get("rollingUpdate"));
    assertThat(rolling).containsEntry("maxSurge", 1).containsEntry("maxUnavailable", 0);

    // The same config renders the same pod template: no rollout, no apply.
    assertThat(Rendered.kustomize(K8S_DIR).get("Deployment", "vigil-api")).isEqualTo(api);
    // A changed config renders a new ConfigMap name into the API's pod template: Kubernetes
    // rolls the API out, and every new pod applies the new schedules before it serves.
    Path copy = temp.resolve("k8s");
    copyTree(K8S_DIR, copy);
    Files.writeString(
        copy.resolve("vigil.yaml"),
        Files.readString(copy.resolve("vigil.yaml"))
            + "schedules:\n  nightly-backup: {kind: backup, cron: \"0 1 * * *\"}\n");
    Rendered changed = Rendered.kustomize(copy);
    Map<String, Object> changedApi = changed.get("Deployment", "vigil-api");
    assertThat(Rendered.name(changed.config())).isNotEqualTo(Rendered.name(generated));
    assertThat(map(Rendered.volume(changedApi, mounts.get(configDir)).get("configMap")).get("name"))
        .isEqualTo(Rendered.name(changed.config()));
    assertThat(map(map(changedApi.get("spec")).get("template")))
        .isNotEqualTo(map(map(api.get("spec")).get("template")));
    assertThat(map(Rendered.podSpec(changedApi).get("initContainers")))
        .isEqualTo(map(Rendered.podSpec(api).get("initContainers")));
  }

  @Test
  void monitoringComponentScrapesBothServicesAndCarriesTheAlertRulesUnchanged() throws Exception {
    Path overlay =
        overlay("components:\n  - " + temp.resolve("overlay").relativize(MONITORING) + "\n");
    Rendered rendered = Rendered.kustomize(overlay);
    DeployedConfig config =
        DeployedConfig.read(K8S_DIR.resolve("vigil.yaml"), "/run/secrets/vigil/");

    // The PrometheusRule's groups are alerts.yml's, rule for rule.
    Map<String, Object> rule = rendered.get("PrometheusRule", "vigil");
    assertThat(map(rule.get("metadata")).get("namespace")).isEqualTo("vigil");
    Map<String, Object> alerts = YamlTree.parse(Files.readString(ALERTS));
    assertThat(map(rule.get("spec"))).isEqualTo(alerts);
    // ... because it is generated from it: the committed file is what the script writes now.
    Path regenerated = temp.resolve("prometheus-rule.yaml");
    Processes.Result generate =
        run(MONITORING, Map.of(), "sh", "generate-rules.sh", regenerated.toString());
    assertThat(generate.exitCode()).as(generate.output()).isZero();
    assertThat(Files.readString(regenerated))
        .as("run infra/deploy/k8s/monitoring/generate-rules.sh after changing alerts.yml")
        .isEqualTo(Files.readString(MONITORING.resolve("prometheus-rule.yaml")));
    // The rules as the operator hands them to Prometheus pass promtool and alerts-test.yml.
    Path extracted = Files.createDirectories(temp.resolve("extracted"));
    Files.writeString(extracted.resolve("alerts.yml"), new Yaml().dump(rule.get("spec")));
    Files.copy(ALERTS.resolveSibling("alerts-test.yml"), extracted.resolve("alerts-test.yml"));
    String promtool = tool("promtool", "prometheus");
    Processes.Result check = run(extracted, Map.of(), promtool, "check", "rules", "alerts.yml");
    assertThat(check.exitCode()).as(check.output()).isZero();
    assertThat(check.output()).contains("SUCCESS: " + alertRules() + " rules found");
    Processes.Result test = run(extracted, Map.of(), promtool, "test", "rules", "alerts-test.yml");
    assertThat(test.exitCode()).as(test.output()).isZero();
    assertThat(test.output()).contains("SUCCESS");

    // Each ServiceMonitor selects its Service only, on the port that serves Vigil's /metrics.
    Map<String, Integer> metricsPorts =
        Map.of(
            "vigil-worker", config.port("metrics", 9464),
            "vigil-api", config.port("api", 8080));
    assertThat(rendered.ofKind("ServiceMonitor")).hasSize(2);
    for (var expected : metricsPorts.entrySet()) {
      String name = expected.getKey();
      Map<String, Object> monitor = rendered.get("ServiceMonitor", name);
      Map<String, String> selector =
          YamlTree.stringMap(map(map(monitor.get("spec")).get("selector")).get("matchLabels"));
      for (Map<String, Object> service : rendered.ofKind("Service")) {
        Map<String, String> labels = YamlTree.stringMap(map(service.get("metadata")).get("labels"));
        assertThat(labels.entrySet().containsAll(selector.entrySet()))
            .as("ServiceMonitor %s selects Service %s", name, Rendered.name(service))
            .isEqualTo(Rendered.name(service).equals(name));
      }
      assertThat(map(monitor.get("metadata")).get("namespace")).isEqualTo("vigil");
      Map<String, Object> endpoint = map(list(map(monitor.get("spec")).get("endpoints")).get(0));
      assertThat(endpoint.get("path")).isEqualTo("/metrics");
      Map<String, Object> servicePort =
          list(map(rendered.get("Service", name).get("spec")).get("ports")).stream()
              .map(YamlTree::map)
              .filter(port -> endpoint.get("port").equals(port.get("name")))
              .findFirst()
              .orElseThrow();
      Map<String, Object> workload =
          name.equals("vigil-api")
              ? rendered.get("Deployment", name)
              : rendered.get("StatefulSet", name);
      assertThat(Rendered.namedPorts(workload).get((String) servicePort.get("targetPort")))
          .as("%s scrape port", name)
          .isEqualTo(expected.getValue());
    }
  }

  @Test
  void networkPoliciesSelectTheirPodsOpenTheirPortsAndReachWhatTheConfigNames() throws Exception {
    Rendered rendered = Rendered.kustomize(K8S_DIR);
    DeployedConfig config =
        DeployedConfig.read(K8S_DIR.resolve("vigil.yaml"), "/run/secrets/vigil/");
    Map<String, Object> worker = rendered.get("StatefulSet", "vigil-worker");
    Map<String, Object> api = rendered.get("Deployment", "vigil-api");
    Map<String, Object> workerPolicy = rendered.get("NetworkPolicy", "vigil-worker");
    Map<String, Object> apiPolicy = rendered.get("NetworkPolicy", "vigil-api");

    assertThat(NetworkPolicies.selects(workerPolicy, worker)).isTrue();
    assertThat(NetworkPolicies.selects(workerPolicy, api)).isFalse();
    assertThat(NetworkPolicies.selects(apiPolicy, api)).isTrue();
    assertThat(NetworkPolicies.selects(apiPolicy, worker)).isFalse();

    // In: the worker's metrics port and the API's port, nothing else.
    int metricsPort = config.port("metrics", 9464);
    int apiPort = config.port("api", 8080);
    assertThat(NetworkPolicies.ingressPorts(workerPolicy, worker)).containsExactly(metricsPort);
    assertThat(NetworkPolicies.ingressPorts(apiPolicy, api)).containsExactly(apiPort);

    // Out: DNS, and every endpoint vigil.yaml names.
    for (Map<String, Object> policy : List.of(workerPolicy, apiPolicy)) {
      assertThat(NetworkPolicies.reachesDns(policy)).as(Rendered.name(policy)).isTrue();
    }
    NetworkPolicies.Endpoint temporal =
        NetworkPolicies.endpoint(config.section("temporal").get("target"));
    NetworkPolicies.Endpoint catalog =
        NetworkPolicies.jdbcEndpoint((String) config.section("catalog").get("jdbc-url"));
    List<NetworkPolicies.Endpoint> workerNeeds = new ArrayList<>(List.of(temporal, catalog));
    for (Object source : config.section("sources").values()) {
      workerNeeds.add(NetworkPolicies.sourceEndpoint(map(source)));
    }
    for (Object repository : config.section("repositories").values()) {
      workerNeeds.add(NetworkPolicies.storeEndpoint(map(repository)));
    }
    for (NetworkPolicies.Endpoint needed : workerNeeds) {
      assertThat(NetworkPolicies.reaches(workerPolicy, needed))
          .as("worker reaches %s", needed)
          .isTrue();
    }
    for (NetworkPolicies.Endpoint needed : List.of(temporal, catalog)) {
      assertThat(NetworkPolicies.reaches(apiPolicy, needed)).as("API reaches %s", needed).isTrue();
    }
    for (Object repository : config.section("repositories").values()) {
      NetworkPolicies.Endpoint store = NetworkPolicies.storeEndpoint(map(repository));
      assertThat(NetworkPolicies.reaches(apiPolicy, store))
          .as("the API reads no backups: no way to the store %s", store)
          .isFalse();
    }
  }

  // ---- helpers ----

  private static Map<String, Object> k8s(String file) throws java.io.IOException {
    return YamlTree.parse(Files.readString(K8S_DIR.resolve(file)));
  }

  /** An overlay in the test's directory over the base, with {@code extra} kustomization lines. */
  private Path overlay(String extra) throws java.io.IOException {
    Path overlay = Files.createDirectories(temp.resolve("overlay"));
    Files.writeString(
        overlay.resolve("kustomization.yaml"),
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - "
            + overlay.relativize(K8S_DIR)
            + "\n"
            + extra);
    return overlay;
  }

  private static void copyTree(Path from, Path to) throws java.io.IOException {
    try (Stream<Path> paths = Files.walk(from)) {
      for (Path path : paths.toList()) {
        Path target = to.resolve(from.relativize(path).toString());
        if (Files.isDirectory(path)) {
          Files.createDirectories(target);
        } else {
          Files.copy(path, target);
        }
      }
    }
  }
}
