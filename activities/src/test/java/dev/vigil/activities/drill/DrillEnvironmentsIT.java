package dev.vigil.activities.drill;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vigil.activities.restore.FreshClusters;
import dev.vigil.workflows.drill.DrillEnvironment;
import dev.vigil.workflows.drill.DrillObjectives;
import dev.vigil.workflows.drill.DrillSource;
import dev.vigil.workflows.restore.RestoreTarget;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.List;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Drill environments with real PostgreSQL clusters: made fresh, reachable with the password file
 * only, and gone after teardown, also when the process that made them is gone.
 */
class DrillEnvironmentsIT {
  private static final List<DrillSource> SOURCES =
      List.of(
          new DrillSource("appdb", "postgres", "database", "app", DrillObjectives.NONE),
          new DrillSource("models", "directory", "model", null, DrillObjectives.NONE));

  @TempDir Path dir;

  @Test
  void aFreshClusterAndScratchDirectoriesAreMadeAndTornDownCompletely() throws Exception {
    DrillEnvironments environments = new DrillEnvironments(dir.resolve("drills"));
    String drillId = "drill-quarterly-20261122T030000Z";

    DrillEnvironment environment = environments.create(drillId, "host-1", SOURCES);

    RestoreTarget appdb = environment.targets().get("appdb");
    assertThat(appdb.type()).isEqualTo("database");
    assertThat(appdb.database()).isEqualTo("app");
    assertThat(appdb.port()).isEqualTo(environment.port()).isPositive();
    assertThat(databasesNamed(appdb))
        .as("the cluster answers with the password file; the restore creates the database")
        .isZero();
    assertThat(Files.getPosixFilePermissions(Path.of(appdb.passwordFile())))
        .containsExactlyInAnyOrder(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
    RestoreTarget models = environment.targets().get("models");
    assertThat(models.type()).isEqualTo("directory");
    assertThat(Path.of(models.directory()).getParent()).isDirectory();
    assertThat(environments.create(drillId, "host-1", SOURCES))
        .as("a retried create returns the running environment")
        .isEqualTo(environment);

    environments.tearDown(drillId);
    environments.tearDown(drillId);

    assertThat(listening(environment.port())).isFalse();
    assertThat(Path.of(environment.scratchDir())).doesNotExist();
  }

  @Test
  void aPhysicalSourceGetsAFreshClusterOfItsOwnWhichTeardownStops() throws Exception {
    DrillEnvironments environments = new DrillEnvironments(dir.resolve("drills"));
    String drillId = "drill-quarterly-20261122T050000Z";

    DrillEnvironment environment =
        environments.create(drillId, "host-1", SOURCES, java.util.Set.of("appdb"));

    RestoreTarget appdb = environment.targets().get("appdb");
    assertThat(appdb.type()).isEqualTo("fresh-cluster");
    assertThat(appdb.database()).isEqualTo("app");
    assertThat(environment.port()).as("no shared cluster for a physical source").isZero();
    assertThat(environment.targets().get("models").type()).isEqualTo("directory");
    // What the drill's restore of appdb starts, under its restore (child workflow) id.
    var restored =
        FreshClusters.shared()
            .start(drillId + "-restore-appdb", dir.resolve("clusters/appdb"), "vigil");
    int port = restored.cluster().port();
    assertThat(listening(port)).isTrue();

    environments.tearDown(drillId);

    assertThat(listening(port)).as("the physical restore's cluster is stopped").isFalse();
    assertThat(FreshClusters.shared().get(drillId + "-restore-appdb")).isEmpty();
    assertThat(Path.of(environment.scratchDir())).doesNotExist();
  }

  @Test
  void aClusterLeftByAnotherProcessIsStoppedFromItsRecordedDescription() throws Exception {
    String drillId = "drill-quarterly-20261122T040000Z";
    DrillEnvironment environment =
        new DrillEnvironments(dir.resolve("drills")).create(drillId, "host-1", SOURCES);
    assertThat(listening(environment.port())).isTrue();

    // A restarted worker knows nothing of the cluster but where the drill id says it is.
    new DrillEnvironments(dir.resolve("drills")).tearDown(drillId);

    assertThat(listening(environment.port())).isFalse();
    assertThat(Path.of(environment.scratchDir())).doesNotExist();
  }

  @Test
  void onlyDrillIdsNameEnvironments() {
    DrillEnvironments environments = new DrillEnvironments(dir.resolve("drills"));

    assertThatThrownBy(() -> environments.tearDown("../../etc"))
        .hasMessageContaining("is not a drill id");
  }

  /** How many databases named as {@code target}'s exist in its cluster. */
  private static long databasesNamed(RestoreTarget target) throws Exception {
    Properties properties = new Properties();
    properties.setProperty("user", target.user());
    properties.setProperty("password", Files.readString(Path.of(target.passwordFile())));
    String url = "jdbc:postgresql://" + target.host() + ":" + target.port() + "/postgres";
    try (Connection connection = DriverManager.getConnection(url, properties);
        PreparedStatement query =
            connection.prepareStatement("SELECT count(*) FROM pg_database WHERE datname = ?")) {
      query.setString(1, target.database());
      try (ResultSet row = query.executeQuery()) {
        row.next();
        return row.getLong(1);
      }
    }
  }

  private static boolean listening(int port) {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", port), 1_000);
      return true;
    } catch (IOException refused) {
      return false;
    }
  }
}
