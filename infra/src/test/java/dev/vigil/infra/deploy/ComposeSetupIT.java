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
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The compose stack's setup scripts, run for real: make-secrets.sh makes every secret the compose
 * file declares, in a form Vigil accepts; the PostgreSQL init script gives Temporal and the catalog
 * their own roles on a real server.
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
