package dev.vigil.activities.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vigil.activities.common.VigilException;
import dev.vigil.workflows.common.ErrorType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Run ids (workflow ids) become spool directory names: none may name the spool or above it. */
class SpoolTest {
  @TempDir Path dir;

  @Test
  void dotAndDotDotIdsAreRefusedSoCleaningARunNeverDeletesTheSpoolsParent() throws IOException {
    Path sibling = Files.writeString(dir.resolve("precious.txt"), "outside the spool");
    Spool spool = new Spool(Files.createDirectories(dir.resolve("spool")));

    for (String id : new String[] {"..", ".", "...", "a/b", "../x"}) {
      assertThatThrownBy(() -> spool.delete(id))
          .isInstanceOfSatisfying(
              VigilException.class, e -> assertThat(e.type()).isEqualTo(ErrorType.INVALID_CONFIG));
    }

    assertThat(sibling).hasContent("outside the spool");
    assertThat(spool.dir("restore-models-20261122T020000Z"))
        .isEqualTo(dir.resolve("spool/restore-models-20261122T020000Z"));
  }
}
