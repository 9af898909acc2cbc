package dev.vigil.infra.deploy;

import static dev.vigil.infra.deploy.YamlTree.list;
import static dev.vigil.infra.deploy.YamlTree.map;
import static dev.vigil.infra.deploy.YamlTree.stringMap;
import static org.assertj.core.api.Assertions.assertThat;

import dev.vigil.activities.config.VigilConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The deployment files (infra/deploy, infra/docker) agree with each other and with the app: what
 * compose and Kubernetes reference is declared, images are pinned, probes and scrapes hit the ports
 * and paths Vigil serves, and both vigil.yaml files pass Vigil's own config loader.
 */
class DeploymentFilesTest {
  private static final Path COMPOSE_DIR = Path.of("deploy/compose");
  private static final Path K8S_DIR = Path.of("deploy/k8s");
  private static final Path DOCKER_DIR = Path.of("docker");
  private static final String COMPOSE_SECRETS = "/run/secrets/";
  private static final String K8S_SECRETS = "/run/secrets/vigil/";
  private static final String CONFIG_PATH = "/etc/vigil/vigil.yaml";
  private static final Set<String> VIGIL_SERVICES =
      Set.of("vigil-worker", "vigil-api", "vigil-schedules");
  private static final int DEFAULT_API_PORT = 8080;
  private static final int DEFAULT_METRICS_PORT = 9464;

  @TempDir Path temp;

  // ---- docker compose ----

  @Test
  void everyComposeServiceHasAPinnedImage() throws IOException {
    for (var service : services().entrySet()) {
      Map<String, Object> spec = map(service.getValue());
      assertThat(spec.containsKey("image") || spec.containsKey("build"))
          .as("%s has an image or a build", service.getKey())
          .isTrue();
      String image = (String) spec.get("image");
      assertThat(image).as("%s names its image (and tag)", service.getKey()).isNotNull();
      String tag = image.substring(image.lastIndexOf('/') + 1);
      assertThat(tag).as("%s image %s has a tag", service.getKey(), image).contains(":");
      assertThat(tag.substring(tag.indexOf(':') + 1))
          .as("%s image %s is pinned", service.getKey(), image)
          .isNotIn("latest", "stable", "main", "edge")
          .matches(".*\\d.*");
    }
  }

  @Test
  void everyVolumeAndSecretAComposeServiceUsesIsDeclaredAndEveryBindMountExists()
      throws IOException {
    Map<String, Object> compose = compose();
    Set<String> volumes = map(compose.getOrDefault("volumes", Map.of())).keySet();
    Set<String> secrets = map(compose.getOrDefault("secrets", Map.of())).keySet();
    Set<String> configs = map(compose.getOrDefault("configs", Map.of())).keySet();
    for (var service : services().entrySet()) {
      Map<String, Object> spec = map(service.getValue());
      for (Object volume : list(spec.get("volumes"))) {
        String source = String.valueOf(volume).split(":")[0];
        if (source.startsWith(".") || source.startsWith("/")) {
          assertThat(COMPOSE_DIR.resolve(source))
              .as("%s bind-mounts %s", service.getKey(), source)
              .exists();
        } else {
          assertThat(volumes).as("%s uses volume %s", service.getKey(), source).contains(source);
        }
      }
      for (Object secret : list(spec.get("secrets"))) {
        assertThat(secrets).as("%s uses secret", service.getKey()).contains(reference(secret));
      }
      for (Object config : list(spec.get("configs"))) {
        assertThat(configs).as("%s uses config", service.getKey()).contains(reference(config));
      }
    }
    String makeSecrets = Files.readString(COMPOSE_DIR.resolve("make-secrets.sh"));
    for (var secret : map(compose.get("secrets")).entrySet()) {
      assertThat(map(secret.getValue()).get("file"))
          .as("secret %s is a file make-secrets.sh creates", secret.getKey())
          .isEqualTo("./secrets/" + secret.getKey());
      assertThat(makeSecrets).contains("make " + secret.getKey() + " ");
    }
    assertThat(volumes)
        .as("what must survive a restart lives in named volumes")
        .contains("postgres-data", "minio-data", "vigil-spool", "prometheus-data", "grafana-data");
  }

  @Test
  void composeDependenciesExistAndTheirConditionsCanBeMet() throws IOException {
    Map<String, Object> services = services();
    for (var service : services.entrySet()) {
      Object dependsOn = map(service.getValue()).get("depends_on");
      Map<String, Object> dependencies = new HashMap<>();
      if (dependsOn instanceof List<?> names) {
        names.forEach(name -> dependencies.put((String) name, Map.of()));
      } else if (dependsOn != null) {
        dependencies.putAll(map(dependsOn));
      }
      for (var dependency : dependencies.entrySet()) {
        assertThat(services).as("%s depends on", service.getKey()).containsKey(dependency.getKey());
        Map<String, Object> target = map(services.get(dependency.getKey()));
        Object condition = map(dependency.getValue()).get("condition");
        if ("service_healthy".equals(condition)) {
          assertThat(target)
              .as("%s waits for %s to be healthy", service.getKey(), dependency.getKey())
              .containsKey("healthcheck");
          assertThat(map(target.get("healthcheck"))).doesNotContainKey("disable");
        } else if ("service_completed_successfully".equals(condition)) {
          assertThat(target.get("restart"))
              .as("%s is a one-shot", dependency.getKey())
              .isEqualTo("no");
        } else {
          assertThat(condition).as("%s -> %s", service.getKey(), dependency.getKey()).isNull();
        }
      }
    }
  }

  @Test
  void composeHostPortsDoNotCollide() throws IOException {
    Map<String, String> taken = new HashMap<>();
    for (var service : services().entrySet()) {
      for (Object port : list(map(service.getValue()).get("ports"))) {
        String[] parts = String.valueOf(port).split(":");
        assertThat(parts)
            .as("%s port %s names host and container port", service.getKey(), port)
            .hasSizeGreaterThanOrEqualTo(2);
        String hostPort = parts[parts.length - 2];
        String previous = taken.put(hostPort, service.getKey());
        assertThat(previous).as("host port %s of %s", hostPort, service.getKey()).isNull();
      }
    }
    assertThat(taken).containsKeys("7233", "8080", "8233", "3000", "9090");
  }

  @Test
  void composeVigilConfigIsValidAndItsSecretsAndPortsAreWired() throws IOException {
    DeployedConfig config = DeployedConfig.read(COMPOSE_DIR.resolve("vigil.yaml"), COMPOSE_SECRETS);
    VigilConfig loaded = config.load(COMPOSE_SECRETS, temp);

    assertThat(loaded.temporal().target()).isEqualTo("temporal:7233");
    assertThat(loaded.worker().spoolDir()).isEqualTo(Path.of("/var/lib/vigil/spool"));
    assertThat(loaded.worker().hostId())
        .as("host-id comes from the container's hostname, not the file")
        .isNotEqualTo("embedded");
    assertThat(config.bind("metrics"))
        .as("Prometheus scrapes from another container")
        .isEqualTo("0.0.0.0");
    assertThat(config.bind("api")).isEqualTo("0.0.0.0");

    Map<String, Object> services = services();
    int metricsPort = config.port("metrics", DEFAULT_METRICS_PORT);
    int apiPort = config.port("api", DEFAULT_API_PORT);
    for (String name : VIGIL_SERVICES) {
      Map<String, Object> service = map(services.get(name));
      assertThat(service.get("build")).as(name).isNotNull();
      assertThat(list(service.get("volumes")))
          .as(name)
          .contains("./vigil.yaml:" + CONFIG_PATH + ":ro");
      assertThat(list(service.get("command"))).as(name).containsSequence("--config", CONFIG_PATH);
      Set<String> mounted = new TreeSet<>();
      list(service.get("secrets")).forEach(secret -> mounted.add(reference(secret)));
      assertThat(mounted)
          .as("%s mounts every secret vigil.yaml reads", name)
          .containsAll(config.secretFiles());
    }
    assertThat(list(map(services.get("vigil-worker")).get("volumes")))
        .contains("vigil-spool:" + loaded.worker().spoolDir());
    assertThat(healthcheck(services, "vigil-worker"))
        .contains("http://127.0.0.1:" + metricsPort + "/health/ready");
    assertThat(healthcheck(services, "vigil-api"))
        .contains("http://127.0.0.1:" + apiPort + "/health");
    assertThat(list(map(services.get("vigil-api")).get("ports")))
        .anySatisfy(port -> assertThat(String.valueOf(port)).endsWith(":" + apiPort));
    assertThat(Files.readString(DOCKER_DIR.resolve("Dockerfile")))
        .contains("http://127.0.0.1:" + metricsPort + "/health/ready");
  }

  @Test
  void composePrometheusScrapesWorkerAndApiAndLoadsTheAlertRules() throws IOException {
    DeployedConfig config = DeployedConfig.read(COMPOSE_DIR.resolve("vigil.yaml"), COMPOSE_SECRETS);
    Map<String, Object> prometheus =
        YamlTree.parse(Files.readString(COMPOSE_DIR.resolve("prometheus.yml")));
    Map<String, List<String>> targets = new HashMap<>();
    for (Object job : list(prometheus.get("scrape_configs"))) {
      Map<String, Object> scrape = map(job);
      List<String> hosts = new ArrayList<>();
      list(scrape.get("static_configs"))
          .forEach(group -> list(map(group).get("targets")).forEach(t -> hosts.add((String) t)));
      assertThat(scrape.getOrDefault("metrics_path", "/metrics")).isEqualTo("/metrics");
      targets.put((String) scrape.get("job_name"), hosts);
    }
    assertThat(targets.get("vigil-worker"))
        .containsExactly("vigil-worker:" + config.port("metrics", DEFAULT_METRICS_PORT));
    assertThat(targets.get("vigil-api"))
        .containsExactly("vigil-api:" + config.port("api", DEFAULT_API_PORT));

    Map<String, Object> service = map(services().get("prometheus"));
    List<String> mounts = list(service.get("volumes")).stream().map(String::valueOf).toList();
    for (Object ruleFile : list(prometheus.get("rule_files"))) {
      assertThat(mounts)
          .as("rule file %s is mounted next to prometheus.yml", ruleFile)
          .contains("../../prometheus/alerts.yml:/etc/prometheus/" + ruleFile + ":ro");
    }
    assertThat(mounts).contains("./prometheus.yml:/etc/prometheus/prometheus.yml:ro");
    assertThat(list(map(services().get("grafana")).get("volumes")).stream().map(String::valueOf))
        .anySatisfy(mount -> assertThat(mount).startsWith("../../grafana/vigil-dashboard.json:"));
  }

  @Test
  void composePrometheusSendsAlertsToAlertmanagerWhichReadsItsWebhookFromASecret()
      throws IOException {
    Map<String, Object> prometheus =
        YamlTree.parse(Files.readString(COMPOSE_DIR.resolve("prometheus.yml")));
    List<String> targets = new ArrayList<>();
    for (Object manager : list(map(prometheus.get("alerting")).get("alertmanagers"))) {
      list(map(manager).get("static_configs"))
          .forEach(group -> list(map(group).get("targets")).forEach(t -> targets.add((String) t)));
    }
    assertThat(targets).containsExactly("alertmanager:9093");

    Map<String, Object> service = map(services().get("alertmanager"));
    assertThat(healthcheck(services(), "alertmanager")).contains("http://127.0.0.1:9093/-/ready");
    assertThat(list(service.get("command")).stream().map(String::valueOf))
        .contains("--config.file=/etc/alertmanager/alertmanager.yml");
    assertThat(list(service.get("volumes")).stream().map(String::valueOf))
        .contains("./alertmanager.yml:/etc/alertmanager/alertmanager.yml:ro");
    Map<String, Object> alertmanager =
        YamlTree.parse(Files.readString(COMPOSE_DIR.resolve("alertmanager.yml")));
    String receiver = (String) map(alertmanager.get("route")).get("receiver");
    List<String> secretFiles = new ArrayList<>();
    for (Object entry : list(alertmanager.get("receivers"))) {
      if (receiver.equals(map(entry).get("name"))) {
        list(map(entry).get("slack_configs"))
            .forEach(slack -> secretFiles.add((String) map(slack).get("api_url_file")));
      }
    }
    assertThat(secretFiles).as("the route's receiver posts to a URL from a secret").isNotEmpty();
    List<String> mounted =
        list(service.get("secrets")).stream().map(s -> COMPOSE_SECRETS + reference(s)).toList();
    assertThat(mounted).containsAll(secretFiles);
    // The URL is never in a file under version control, and make-secrets.sh makes the file.
    assertThat(Files.readString(COMPOSE_DIR.resolve("alertmanager.yml"))).doesNotContain("hooks.");
    assertThat(Files.readString(COMPOSE_DIR.resolve("make-secrets.sh")))
        .contains("make alertmanager-slack-url ");
  }

  @Test
  void composeRunsTemporalFromItsServerImageAfterSchemaAndNamespaceJobsOfTheSameVersion()
      throws IOException {
    Map<String, Object> services = services();
    services.forEach(
        (name, spec) ->
            assertThat(String.valueOf(map(spec).get("image")))
                .as("%s: temporalio/auto-setup is deprecated", name)
                .doesNotContain("auto-setup"));
    Map<String, Object> temporal = map(services.get("temporal"));
    Map<String, Object> schema = map(services.get("temporal-schema"));
    Map<String, Object> namespace = map(services.get("temporal-namespace"));
    Matcher server =
        Pattern.compile("temporalio/server:(\\d+\\.\\d+\\.\\d+)")
            .matcher((String) temporal.get("image"));
    assertThat(server.matches()).as((String) temporal.get("image")).isTrue();
    // The schema files come from the admin tools: they must be the server's version.
    assertThat(schema.get("image")).isEqualTo("temporalio/admin-tools:" + server.group(1));
    assertThat(namespace.get("image")).isEqualTo(schema.get("image"));

    // postgres healthy -> schema job done -> server healthy -> namespace job done -> worker.
    assertThat(condition(schema, "postgres")).isEqualTo("service_healthy");
    assertThat(condition(temporal, "temporal-schema")).isEqualTo("service_completed_successfully");
    assertThat(condition(namespace, "temporal")).isEqualTo("service_healthy");
    assertThat(condition(map(services.get("vigil-worker")), "temporal-namespace"))
        .isEqualTo("service_completed_successfully");

    // Each job runs its script from the mounted directory.
    for (var job : Map.of(schema, "setup-schema.sh", namespace, "create-namespace.sh").entrySet()) {
      assertThat(list(job.getKey().get("volumes"))).contains("./temporal:/vigil:ro");
      assertThat(list(job.getKey().get("entrypoint"))).contains("/vigil/" + job.getValue());
      assertThat(COMPOSE_DIR.resolve("temporal").resolve(job.getValue())).isRegularFile();
    }
    // The schema job prepares the database the server connects to, with the server's plugin.
    Map<String, String> serverEnv = YamlTree.stringMap(temporal.get("environment"));
    Map<String, String> schemaEnv = YamlTree.stringMap(schema.get("environment"));
    for (String key : List.of("POSTGRES_SEEDS", "DB_PORT", "POSTGRES_USER")) {
      assertThat(schemaEnv.get(key)).as(key).isEqualTo(serverEnv.get(key));
    }
    assertThat(Files.readString(COMPOSE_DIR.resolve("temporal/setup-schema.sh")))
        .contains("--plugin " + serverEnv.get("DB"));
    // Both read the database password from the secret; it is never in the compose file.
    assertThat(serverEnv).doesNotContainKeys("POSTGRES_PWD", "SQL_PASSWORD");
    assertThat(list(temporal.get("secrets"))).contains("temporal-db-password");
    assertThat(list(schema.get("secrets"))).contains("temporal-db-password");
    assertThat(
            String.join(
                " ", list(temporal.get("entrypoint")).stream().map(String::valueOf).toList()))
        .contains("POSTGRES_PWD=\"$$(cat /run/secrets/temporal-db-password)\"")
        .contains("exec /etc/temporal/entrypoint.sh");
    // The namespace job creates the namespace the compose vigil.yaml uses, at its target.
    DeployedConfig config = DeployedConfig.read(COMPOSE_DIR.resolve("vigil.yaml"), COMPOSE_SECRETS);
    Map<String, String> namespaceEnv = YamlTree.stringMap(namespace.get("environment"));
    assertThat(namespaceEnv.get("VIGIL_NAMESPACE"))
        .isEqualTo(config.section("temporal").get("namespace"));
    assertThat(namespaceEnv.get("TEMPORAL_ADDRESS"))
        .isEqualTo(config.section("temporal").get("target"));
    // The server listens beyond its container's loopback, where its healthcheck looks.
    assertThat(serverEnv.get("BIND_ON_IP")).isEqualTo("0.0.0.0");
    assertThat(healthcheck(services, "temporal")).isEqualTo("CMD nc -z 127.0.0.1 7233");
  }

  private static Object condition(Map<String, Object> service, String dependency) {
    return map(map(service.get("depends_on")).get(dependency)).get("condition");
  }

  // ---- image ----

  @Test
  void imageBuildsTheLaunchersLayoutAndRunsItAsANonRootUser() throws IOException {
    String dockerfile = Files.readString(DOCKER_DIR.resolve("Dockerfile"));
    String repoLauncher = Files.readString(Path.of("../vigil"));
    String imageLauncher = Files.readString(DOCKER_DIR.resolve("vigil"));
    Path repository = Path.of("..");

    // The image builds what ./vigil builds and starts the same main class on the same layout.
    assertThat(dockerfile).contains("-pl infra -am package");
    assertThat(repoLauncher).contains("-pl infra -am package").contains("$LIB/*");
    String mainClass = "dev.vigil.infra.cli.VigilMain";
    assertThat(repoLauncher).contains(mainClass);
    assertThat(imageLauncher).contains(mainClass).contains("$VIGIL_HOME/lib/*");
    assertThat(Files.readString(Path.of("pom.xml")))
        .contains("<outputDirectory>${project.build.directory}/lib</outputDirectory>");
    assertThat(Files.isExecutable(DOCKER_DIR.resolve("vigil"))).isTrue();

    Matcher copy = Pattern.compile("(?m)^COPY (?!--from)(\\S+) ").matcher(dockerfile);
    while (copy.find()) {
      assertThat(repository.resolve(copy.group(1))).as("COPY source").exists();
    }
    Matcher from = Pattern.compile("(?m)^ARG DEBIAN_IMAGE=(\\S+)$").matcher(dockerfile);
    assertThat(from.find()).isTrue();
    assertThat(from.group(1)).matches("debian:12\\.\\d+-slim");
    assertThat(dockerfile)
        .contains("USER vigil:vigil")
        .contains("ENTRYPOINT [\"tini\", \"--\", \"vigil\"]")
        .contains("CMD [\"worker\", \"--config\", \"" + CONFIG_PATH + "\"]")
        .contains("VOLUME [\"/var/lib/vigil/spool\"]")
        .contains("\"postgresql-client-$PG_MAJOR\"");
    assertThat(Files.readString(repository.resolve(".dockerignore")))
        .contains("**/target/", ".git/", "infra/deploy/compose/secrets/");
  }

  // ---- Kubernetes ----

  @Test
  void kustomizationListsEveryManifestAndGeneratesTheConfig() throws IOException {
    Map<String, Object> kustomization = k8s("kustomization.yaml");
    Set<String> listed = new TreeSet<>();
    list(kustomization.get("resources")).forEach(resource -> listed.add((String) resource));
    Set<String> generated = new TreeSet<>();
    for (Object generator : list(kustomization.get("configMapGenerator"))) {
      list(map(generator).get("files")).forEach(file -> generated.add((String) file));
    }
    Set<String> files = new TreeSet<>();
    try (Stream<Path> entries = Files.list(K8S_DIR)) {
      entries
          .map(path -> path.getFileName().toString())
          .filter(name -> name.endsWith(".yaml") || name.endsWith(".yml"))
          .filter(name -> !name.equals("kustomization.yaml") && !name.endsWith(".example.yaml"))
          .forEach(files::add);
    }
    Set<String> covered = new TreeSet<>(listed);
    covered.addAll(generated);
    assertThat(covered).isEqualTo(files);
    assertThat(generated).containsExactly("vigil.yaml");
    assertThat(kustomization.get("namespace")).isEqualTo("vigil");
  }

  @Test
  void workloadsHaveResourcesProbesOnVigilsEndpointsAndRunAsNonRootReadOnly() throws IOException {
    DeployedConfig config = DeployedConfig.read(K8S_DIR.resolve("vigil.yaml"), K8S_SECRETS);
    Map<String, String> expectedProbes =
        Map.of(
            "vigil-worker/liveness", "/health/live:" + config.port("metrics", DEFAULT_METRICS_PORT),
            "vigil-worker/readiness",
                "/health/ready:" + config.port("metrics", DEFAULT_METRICS_PORT),
            "vigil-api/liveness", "/health:" + config.port("api", DEFAULT_API_PORT),
            "vigil-api/readiness", "/health:" + config.port("api", DEFAULT_API_PORT));
    Map<String, Map<String, Object>> workloads = workloads();
    assertThat(workloads.keySet()).containsExactlyInAnyOrder("vigil-worker", "vigil-api");
    for (var workload : workloads.entrySet()) {
      String name = workload.getKey();
      Map<String, Object> pod = map(map(workload.getValue().get("spec")).get("template"));
      Map<String, Object> podSpec = map(pod.get("spec"));
      assertThat(map(podSpec.get("securityContext")).get("runAsNonRoot")).as(name).isEqualTo(true);
      List<Object> containers = list(podSpec.get("containers"));
      assertThat(containers).as(name).hasSize(1);
      Map<String, Object> container = map(containers.get(0));
      Map<String, Object> resources = map(container.get("resources"));
      assertThat(map(resources.get("requests"))).as(name).containsKeys("cpu", "memory");
      assertThat(map(resources.get("limits"))).as(name).containsKey("memory");
      Map<String, Object> security = map(container.get("securityContext"));
      assertThat(security.get("readOnlyRootFilesystem")).as(name).isEqualTo(true);
      assertThat(security.get("allowPrivilegeEscalation")).as(name).isEqualTo(false);
      assertThat(list(container.get("args"))).as(name).containsSequence("--config", CONFIG_PATH);

      Map<String, Integer> ports = new HashMap<>();
      list(container.get("ports"))
          .forEach(
              p -> ports.put((String) map(p).get("name"), (Integer) map(p).get("containerPort")));
      for (String probe : List.of("liveness", "readiness")) {
        Map<String, Object> get = map(map(container.get(probe + "Probe")).get("httpGet"));
        assertThat(get).as("%s %sProbe is an HTTP GET", name, probe).isNotEmpty();
        Object port = get.get("port");
        int number = port instanceof Integer n ? n : ports.getOrDefault(port, -1);
        assertThat(get.get("path") + ":" + number)
            .as("%s %sProbe", name, probe)
            .isEqualTo(expectedProbes.get(name + "/" + probe));
      }
      Map<String, Object> annotations = map(map(pod.get("metadata")).get("annotations"));
      assertThat(annotations.get("prometheus.io/scrape")).as(name).isEqualTo("true");
      assertThat(annotations.get("prometheus.io/path")).as(name).isEqualTo("/metrics");
      int scraped = Integer.parseInt((String) annotations.get("prometheus.io/port"));
      assertThat(scraped)
          .as("%s scrape port", name)
          .isEqualTo(
              name.equals("vigil-worker")
                  ? config.port("metrics", DEFAULT_METRICS_PORT)
                  : config.port("api", DEFAULT_API_PORT));

      Set<String> volumes = new TreeSet<>();
      list(podSpec.get("volumes")).forEach(v -> volumes.add((String) map(v).get("name")));
      list(map(workload.getValue().get("spec")).get("volumeClaimTemplates"))
          .forEach(claim -> volumes.add((String) map(map(claim).get("metadata")).get("name")));
      Map<String, String> mounts = new HashMap<>();
      for (Object mount : list(container.get("volumeMounts"))) {
        String volume = (String) map(mount).get("name");
        assertThat(volumes).as("%s mounts volume", name).contains(volume);
        mounts.put((String) map(mount).get("mountPath"), volume);
      }
      assertThat(mounts)
          .as(name)
          .containsKeys("/etc/vigil", "/tmp", K8S_SECRETS.replaceAll("/$", ""));
      for (Object volume : list(podSpec.get("volumes"))) {
        Map<String, Object> configMap = map(map(volume).get("configMap"));
        if (!configMap.isEmpty()) {
          assertThat(configMap.get("name")).as(name).isEqualTo("vigil-config");
        }
      }
    }
  }

  @Test
  void workerIsAStatefulSetWhoseSpoolClaimFollowsThePod() throws IOException {
    Map<String, Object> worker = workloads().get("vigil-worker");
    assertThat(worker.get("kind")).isEqualTo("StatefulSet");
    Map<String, Object> spec = map(worker.get("spec"));
    assertThat(spec.get("replicas")).isEqualTo(1);
    assertThat(spec.get("serviceName")).isEqualTo("vigil-worker");
    assertThat(list(spec.get("volumeClaimTemplates")))
        .singleElement()
        .satisfies(
            claim -> assertThat(map(map(claim).get("metadata")).get("name")).isEqualTo("spool"));

    DeployedConfig config = DeployedConfig.read(K8S_DIR.resolve("vigil.yaml"), K8S_SECRETS);
    VigilConfig loaded = config.load(K8S_SECRETS, temp);
    Map<String, Object> container =
        map(list(map(map(spec.get("template")).get("spec")).get("containers")).get(0));
    assertThat(list(container.get("volumeMounts")))
        .anySatisfy(
            mount -> {
              assertThat(map(mount).get("name")).isEqualTo("spool");
              assertThat(map(mount).get("mountPath"))
                  .isEqualTo(loaded.worker().spoolDir().toString());
            });
  }

  @Test
  void servicesAndDisruptionBudgetSelectTheirPods() throws IOException {
    Map<String, Map<String, Object>> workloads = workloads();
    Map<String, Object> apiService = k8s("api-service.yaml");
    Map<String, Object> workerService = k8s("worker-service.yaml");
    Map<String, Object> budget = k8s("api-pdb.yaml");
    assertThat(podLabels(workloads.get("vigil-api")))
        .containsAllEntriesOf(stringMap(map(apiService.get("spec")).get("selector")))
        .containsAllEntriesOf(
            stringMap(map(map(budget.get("spec")).get("selector")).get("matchLabels")));
    assertThat(podLabels(workloads.get("vigil-worker")))
        .containsAllEntriesOf(stringMap(map(workerService.get("spec")).get("selector")));
    assertThat(map(workloads.get("vigil-api").get("spec")).get("replicas")).isEqualTo(2);
    assertThat(map(budget.get("spec")).get("minAvailable")).isEqualTo(1);
    assertThat(map(workerService.get("spec")).get("clusterIP")).isEqualTo("None");
  }

  @Test
  void k8sVigilConfigIsValidAndTheSecretTemplateHoldsEveryFileItReads() throws IOException {
    DeployedConfig config = DeployedConfig.read(K8S_DIR.resolve("vigil.yaml"), K8S_SECRETS);
    VigilConfig loaded = config.load(K8S_SECRETS, temp);

    assertThat(loaded.sources()).isNotEmpty();
    assertThat(config.bind("metrics")).isEqualTo("0.0.0.0");
    assertThat(config.bind("api")).isEqualTo("0.0.0.0");
    Map<String, Object> secret = k8s("secret.example.yaml");
    assertThat(map(secret.get("metadata")).get("name")).isEqualTo("vigil-secrets");
    assertThat(map(secret.get("stringData")).keySet())
        .containsExactlyInAnyOrderElementsOf(config.secretFiles());
    String template = Files.readString(K8S_DIR.resolve("secret.example.yaml"));
    config.secretFiles().forEach(key -> assertThat(template).contains("--from-file=" + key));
  }

  // ---- helpers ----

  private static Map<String, Object> compose() throws IOException {
    return YamlTree.parse(Files.readString(COMPOSE_DIR.resolve("docker-compose.yml")));
  }

  private static Map<String, Object> services() throws IOException {
    return map(compose().get("services"));
  }

  private static String healthcheck(Map<String, Object> services, String service) {
    return String.join(
        " ",
        list(map(map(services.get(service)).get("healthcheck")).get("test")).stream()
            .map(String::valueOf)
            .toList());
  }

  private static Map<String, Object> k8s(String file) throws IOException {
    return YamlTree.parse(Files.readString(K8S_DIR.resolve(file)));
  }

  private static Map<String, Map<String, Object>> workloads() throws IOException {
    Map<String, Map<String, Object>> workloads = new HashMap<>();
    for (Object resource : list(k8s("kustomization.yaml").get("resources"))) {
      Map<String, Object> manifest = k8s((String) resource);
      if (Set.of("Deployment", "StatefulSet").contains(manifest.get("kind"))) {
        workloads.put((String) map(manifest.get("metadata")).get("name"), manifest);
      }
    }
    return workloads;
  }

  private static Map<String, String> podLabels(Map<String, Object> workload) {
    return stringMap(
        map(map(map(workload.get("spec")).get("template")).get("metadata")).get("labels"));
  }

  private static String reference(Object entry) {
    return entry instanceof Map<?, ?> longForm ? (String) longForm.get("source") : (String) entry;
  }
}
