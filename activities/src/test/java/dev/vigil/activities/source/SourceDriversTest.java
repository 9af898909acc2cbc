package dev.vigil.activities.source;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vigil.activities.common.VigilException;
import dev.vigil.activities.source.directory.DirectoryDriver;
import dev.vigil.activities.source.postgres.PostgresDriver;
import dev.vigil.workflows.backup.SourceRef;
import dev.vigil.workflows.common.ErrorType;
import dev.vigil.workflows.restore.SelectedBackup;
import java.util.List;
import org.junit.jupiter.api.Test;

class SourceDriversTest {

  @Test
  void everyFormatAVigilBackupHasIsReadByTheDriverThatWroteIt() {
    SourceDrivers drivers = SourceDrivers.STANDARD;

    assertThat(drivers.forFormat("pg_dump-custom")).containsInstanceOf(PostgresDriver.class);
    assertThat(drivers.forFormat(PgBaseBackup.FORMAT)).containsInstanceOf(PostgresDriver.class);
    assertThat(drivers.forFormat("tar")).containsInstanceOf(DirectoryDriver.class);
    assertThat(drivers.types()).contains("postgres", "directory");
  }

  @Test
  void aBackupOfAnUnknownFormatIsRefusedInOneLineNamingIt() {
    SelectedBackup backup =
        new SelectedBackup(
            "cache-20261201T020000Z",
            "set-1",
            new SourceRef("cache", "future", "cache", "main"),
            "bucket",
            "cache/x/archive.vigil",
            "cache/x/manifest.json",
            "ab",
            10,
            10,
            0,
            "k1",
            "future-format",
            null,
            null,
            0);

    assertThatThrownBy(() -> SourceDrivers.STANDARD.forBackup(backup))
        .isInstanceOfSatisfying(
            VigilException.class,
            e -> {
              assertThat(e.type()).isEqualTo(ErrorType.INVALID_CONFIG);
              assertThat(e.getMessage())
                  .doesNotContain("\n")
                  .contains("cache-20261201T020000Z")
                  .contains("future-format");
            });
  }

  @Test
  void twoDriversOfOneTypeAreAProgrammingError() {
    assertThatThrownBy(
            () -> new SourceDrivers(List.of(new DirectoryDriver(), new DirectoryDriver())))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("directory");
  }
}
