package dev.vigil.infra.deploy;

import static dev.vigil.infra.deploy.Processes.run;
import static dev.vigil.infra.deploy.Processes.tool;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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
            "temporal",
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
  }
}
