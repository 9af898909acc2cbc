package dev.vigil.activities.restore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vigil.activities.common.VigilException;
import dev.vigil.activities.config.WorkerConfig;
import dev.vigil.activities.config.WorkerSlots;
import dev.vigil.workflows.common.ErrorType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Restore targets are judged on their real paths against the worker's roots. */
class RestoreRootsTest {
  @TempDir Path dir;

  @Test
  void theSpoolsScratchAreasAreAlwaysAllowedBesidesTheConfiguredRoots() {
    Path spool = dir.resolve("spool");
    RestoreRoots roots =
        RestoreRoots.of(
            new WorkerConfig(
                "h", spool, 2, true, List.of(dir.resolve("srv")), WorkerSlots.DEFAULT));

    assertThat(roots.roots())
        .containsExactly(dir.resolve("srv"), spool.resolve("restores"), spool.resolve("drills"));
    assertThat(roots.check(spool.resolve("restores/models").toString()))
        .isEqualTo(spool.resolve("restores/models"));
    assertThat(roots.check(spool.resolve("drills/drill-q-1/files/models").toString()))
        .isEqualTo(spool.resolve("drills/drill-q-1/files/models"));
    assertThat(roots.check(dir.resolve("srv/a/b").toString())).isEqualTo(dir.resolve("srv/a/b"));
  }

  @Test
  void aRootItselfTheSpoolAndEtcAreRefusedNamingTheRoots() {
    Path spool = dir.resolve("spool");
    RestoreRoots roots =
        RestoreRoots.of(new WorkerConfig("h", spool, 2, true, List.of(), WorkerSlots.DEFAULT));

    for (String target : List.of("/etc", "/", spool.toString(), spool + "/restores")) {
      assertForbidden(
          roots,
          target,
          "restore target "
              + target
              + " is outside the directories this worker restores into; allowed: a directory"
              + " inside "
              + spool.resolve("restores")
              + ", "
              + spool.resolve("drills")
              + " (add one to worker.restore-roots in vigil.yaml)");
    }
  }

  @Test
  void dotDotAndRelativeTargetsAreRefusedOutright() {
    RestoreRoots roots = new RestoreRoots(List.of(dir));

    assertForbidden(roots, dir + "/x/../../etc", "is not an absolute path without '..'");
    assertForbidden(roots, "relative/target", "is not an absolute path without '..'");
  }

  @Test
  void symlinksInsideARootThatLeadOutAreFollowedAndRefused() throws IOException {
    Path root = Files.createDirectories(dir.resolve("root"));
    Path outside = Files.createDirectories(dir.resolve("outside"));
    Files.createSymbolicLink(root.resolve("out"), outside);
    Files.createSymbolicLink(root.resolve("dangling"), outside.resolve("not-yet"));
    Files.createSymbolicLink(root.resolve("in"), root.resolve("real"));
    RestoreRoots roots = new RestoreRoots(List.of(root));

    assertForbidden(roots, root + "/out", "(really " + outside + ")");
    assertForbidden(roots, root + "/out/models", "(really " + outside.resolve("models") + ")");
    assertForbidden(roots, root + "/dangling", "(really " + outside.resolve("not-yet") + ")");
    assertThat(roots.check(root + "/in/models")).isEqualTo(root.resolve("real/models"));
  }

  private static void assertForbidden(RestoreRoots roots, String target, String message) {
    assertThatThrownBy(() -> roots.check(target))
        .isInstanceOfSatisfying(
            VigilException.class,
            e -> {
              assertThat(e.type()).isEqualTo(ErrorType.RESTORE_TARGET_FORBIDDEN);
              assertThat(e.getMessage()).contains(message);
            });
  }
}
