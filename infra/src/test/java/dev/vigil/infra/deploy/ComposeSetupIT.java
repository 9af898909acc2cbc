package dev.vigil.infra.deploy;

import static dev.vigil.infra.deploy.Processes.run;
import static dev.vigil.infra.deploy.YamlTree.map;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vigil.activities.config.VigilConfig;
import dev.vigil.activities.embedded.PostgresCluster;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The compose stack's setup scripts, run for real: make-secrets.sh makes every secret the compose
 * file declares, in a form Vigil accepts; the PostgreSQL init script gives Temporal and the catalog
 * their own roles on a real server; Temporal's schema and namespace jobs call the admin tools
 * (stood in for by scripts that log their calls: no Temporal image runs here) as they should.
 */
class ComposeSetupIT {
  private static final Path COMPOSE_DIR = Path.of("deploy/compose").toAbsolutePath();

  @TempDir Path temp;

  @Test
  void makeSecretsCreatesEverySecretOnceInAFormVigilAccepts() throws Exception {
    Path script =
        Files.copy(COMPOSE_DIR.resolve("make-secrets.sh"), temp.resolve("make-secrets.sh"));

    assertThat(run(temp, Map.of(), "sh", script.toString()).exitCode()).isZero();
    Path secrets = temp.resolve("secrets");
    Map<String, String> first = new HashMap<>();
    Map<String, Object> declared =
        map(
            YamlTree.parse(Files.readString(COMPOSE_DIR.resolve("docker-compose.yml")))
                .get("secrets"));
    for (String name : declared.keySet()) {
      Path file = secrets.resolve(name);
      assertThat(file).as(name).isNotEmptyFile();
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
          .as("%s readable by the containers' users", name)
          .isEqualTo("rw-r--r--");
      first.put(name, Files.readString(file));
    }
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(secrets)))
        .isEqualTo("rwx------");

    Processes.Result again = run(temp, Map.of(), "sh", script.toString());
    assertThat(again.output()).as("a second run keeps what exists").doesNotContain("created");
    first.forEach((name, value) -> assertThat(secrets.resolve(name)).hasContent(value));

    DeployedConfig config = DeployedConfig.read(COMPOSE_DIR.resolve("vigil.yaml"), "/run/secrets/");
    VigilConfig loaded =
        config.load("/run/secrets/", secrets, Files.createDirectories(temp.resolve("work")));
    assertThat(loaded.encryption().key().file())
        .isEqualTo(secrets.toAbsolutePath().resolve("vigil-encryption-key"));
  }

  @Test
  void temporalSchemaJobCreatesBothDatabasesOnceAndUpgradesTheirSchemasOnEveryRun()
      throws Exception {
    Path secrets = Files.createDirectories(temp.resolve("secrets"));
    Files.writeString(secrets.resolve("temporal-db-password"), "pw with 'quotes' $HOME");
    Path log = temp.resolve("sql-tool.log");
    // Stands in for temporal-sql-tool: logs each call with the password it got, and refuses to
    // create a database that exists (as the real tool does).
    fakeTool(
        "temporal-sql-tool",
        """
        echo "$* password=$SQL_PASSWORD" >> "$LOG"
        case "$*" in
          *" create") db=$(echo "$*" | sed 's/.*--db \\([a-z_]*\\).*/\\1/')
            [ -e "$STATE/$db" ] && { echo "database $db already exists" >&2; exit 1; }
            touch "$STATE/$db" ;;
          *setup-schema*) [ -z "${FAIL_SETUP:-}" ] || { echo "password authentication failed" >&2; exit 1; } ;;
        esac
        """);
    Map<String, String> env = toolEnv(secrets, log);
    Path script = COMPOSE_DIR.resolve("temporal/setup-schema.sh");

    Processes.Result first = run(temp, env, "sh", script.toString());
    Processes.Result second = run(temp, env, "sh", script.toString());

    assertThat(first.exitCode()).as(first.output()).isZero();
    assertThat(second.exitCode()).as(second.output()).isZero();
    String connection =
        "--plugin postgres12 --ep postgres -p 5432 -u temporal --db %s %s password=pw with"
            + " 'quotes' $HOME";
    List<String> oneRun = new ArrayList<>();
    for (String[] database :
        List.of(
            new String[] {"temporal", "temporal"},
            new String[] {"temporal_visibility", "visibility"})) {
      oneRun.add(connection.formatted(database[0], "create"));
      oneRun.add(connection.formatted(database[0], "setup-schema -v 0.0"));
      oneRun.add(
          connection.formatted(
              database[0],
              "update-schema -d /etc/temporal/schema/postgresql/v12/"
                  + database[1]
                  + "/versioned"));
    }
    List<String> bothRuns = new ArrayList<>(oneRun);
    bothRuns.addAll(oneRun);
    assertThat(Files.readAllLines(log)).containsExactlyElementsOf(bothRuns);
    assertThat(second.output())
        .contains("database temporal exists", "database temporal_visibility exists");

    Map<String, String> failing = new HashMap<>(env);
    failing.put("FAIL_SETUP", "yes");
    Processes.Result refused = run(temp, failing, "sh", script.toString());
    assertThat(refused.exitCode()).isNotZero();
    assertThat(refused.output()).contains("password authentication failed");
  }

  @Test
  void temporalNamespaceJobWaitsForTheServerAndCreatesTheNamespaceOnlyWhenMissing()
      throws Exception {
    Path log = temp.resolve("temporal.log");
    // Stands in for the temporal CLI: the cluster answers from the third health check on; a
    // namespace exists once created.
    fakeTool(
        "temporal",
        """
        echo "$*" >> "$LOG"
        case "$*" in
          "operator cluster health"*) n=$(cat "$STATE/health" 2>/dev/null || echo 0)
            echo $((n + 1)) > "$STATE/health"; [ "$n" -ge 2 ] ;;
          "operator namespace describe"*) [ -e "$STATE/namespace" ] ;;
          "operator namespace create"*) touch "$STATE/namespace" ;;
        esac
        """);
    Map<String, String> env = toolEnv(temp, log);
    env.put("HEALTH_INTERVAL", "0");
    Map<String, Object> job =
        map(
            map(YamlTree.parse(Files.readString(COMPOSE_DIR.resolve("docker-compose.yml")))
                    .get("services"))
                .get("temporal-namespace"));
    YamlTree.stringMap(job.get("environment")).forEach(env::put);
    Path script = COMPOSE_DIR.resolve("temporal/create-namespace.sh");

    Processes.Result first = run(temp, env, "sh", script.toString());
    Processes.Result second = run(temp, env, "sh", script.toString());

    assertThat(first.exitCode()).as(first.output()).isZero();
    assertThat(second.exitCode()).as(second.output()).isZero();
    String namespace =
        (String)
            map(YamlTree.parse(Files.readString(COMPOSE_DIR.resolve("vigil.yaml"))).get("temporal"))
                .get("namespace");
    String at = " --address temporal:7233";
    assertThat(Files.readAllLines(log))
        .containsExactly(
            "operator cluster health" + at,
            "operator cluster health" + at,
            "operator cluster health" + at,
            "operator namespace describe --namespace " + namespace + at,
            "operator namespace create --namespace " + namespace + " --retention 72h" + at,
            "operator cluster health" + at,
            "operator namespace describe --namespace " + namespace + at);
    assertThat(second.output()).contains("namespace " + namespace + " exists");

    Files.delete(temp.resolve("state/health"));
    env.put("HEALTH_ATTEMPTS", "2");
    Processes.Result down = run(temp, env, "sh", script.toString());
    assertThat(down.exitCode()).isNotZero();
    assertThat(down.output()).contains("Temporal at temporal:7233 is not serving after 2 attempts");
  }

  /** Writes {@code body} as an executable {@code name} into the test's fake bin directory. */
  private void fakeTool(String name, String body) throws java.io.IOException {
    Path bin = Files.createDirectories(temp.resolve("bin"));
    Path tool = Files.writeString(bin.resolve(name), "#!/bin/sh\n" + body);
    tool.toFile().setExecutable(true);
  }

  /** PATH with the fake tools first, their log and state, and the secrets directory. */
  private Map<String, String> toolEnv(Path secrets, Path log) throws java.io.IOException {
    Map<String, String> env = new HashMap<>();
    env.put("PATH", temp.resolve("bin") + ":" + System.getenv("PATH"));
    env.put("LOG", log.toString());
    env.put("STATE", Files.createDirectories(temp.resolve("state")).toString());
    env.put("VIGIL_SECRETS_DIR", secrets.toString());
    return env;
  }

  @Test
  void postgresInitScriptGivesTemporalAndTheCatalogTheirOwnRoles() throws Exception {
    Path secrets = Files.createDirectories(temp.resolve("secrets"));
    Files.writeString(secrets.resolve("temporal-db-password"), "temporal-pw'; DROP ROLE x; --");
    Files.writeString(secrets.resolve("catalog-db-password"), "catalog-pw");
    try (PostgresCluster postgres =
        PostgresCluster.start(temp.resolve("pg"), "postgres", "superuser-pw")) {
      Map<String, String> env =
          Map.of(
              "POSTGRES_USER",
              "postgres",
              "PGHOST",
              postgres.host(),
              "PGPORT",
              String.valueOf(postgres.port()),
              "PGPASSWORD",
              "superuser-pw",
              "VIGIL_SECRETS_DIR",
              secrets.toString(),
              "PATH",
              postgres.binDir() + ":" + System.getenv("PATH"));

      Processes.Result init =
          run(temp, env, "sh", COMPOSE_DIR.resolve("postgres-init/10-vigil.sh").toString());

      assertThat(init.exitCode()).as(init.output()).isZero();
      try (Connection catalog = connect(postgres, "vigil_catalog", "vigil", "catalog-pw");
          Statement statement = catalog.createStatement()) {
        statement.execute("CREATE SCHEMA vigil");
      }
      try (Connection temporal =
              connect(postgres, "postgres", "temporal", "temporal-pw'; DROP ROLE x; --");
          Statement statement = temporal.createStatement()) {
        statement.execute("CREATE DATABASE temporal_visibility");
      }
      assertThatThrownBy(
              () -> connect(postgres, "vigil_catalog", "temporal", "temporal-pw'; DROP ROLE x; --"))
          .as("the catalog is not open to Temporal's role")
          .isInstanceOf(SQLException.class)
          .hasMessageContaining("permission denied");
    }
  }

  private static Connection connect(
      PostgresCluster postgres, String database, String user, String password) throws SQLException {
    Properties properties = new Properties();
    properties.setProperty("user", user);
    properties.setProperty("password", password);
    return DriverManager.getConnection(postgres.jdbcUrl(database), properties);
  }
}
