package dev.vigil.activities.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vigil.activities.common.VigilException;
import dev.vigil.activities.config.FilesystemRepositoryConfig;
import dev.vigil.workflows.common.ErrorType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** What only the filesystem store has: paths, escapes, one storage class, its own files. */
class FilesystemObjectStoreTest {
  private static final ObjectAttributes NONE = new ObjectAttributes(null, Map.of(), Map.of());

  @TempDir Path temp;

  private FilesystemObjectStore store(Path root) {
    return new FilesystemObjectStore(new FilesystemRepositoryConfig("local", root));
  }

  private Path root() throws IOException {
    return Files.createDirectories(temp.resolve("repo"));
  }

  private Path file(String content) throws IOException {
    return Files.writeString(temp.resolve("spool-" + content.hashCode()), content);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "../outside",
        "a/../../outside",
        "/etc/passwd",
        "a//b",
        "a/./b",
        "a\\..\\b",
        "a/b.vigil-meta",
        "a/b.vigil-partial-x"
      })
  void keysThatLeaveTheRepositoryOrUseReservedNamesAreRefused(String key) throws IOException {
    FilesystemObjectStore store = store(root());
    Path file = file("payload");

    assertThatThrownBy(() -> store.putFile(file, key, NONE))
        .isInstanceOfSatisfying(
            VigilException.class,
            e -> {
              assertThat(e.type()).isEqualTo(ErrorType.OBJECT_KEY_INVALID);
              assertThat(e.getMessage())
                  .startsWith("repository 'local': refused key '" + key + "': ")
                  .doesNotContain("\n");
            });
    assertThatThrownBy(() -> store.open(key)).isInstanceOf(VigilException.class);
    assertThatThrownBy(() -> store.delete(key)).isInstanceOf(VigilException.class);
    assertThat(temp.resolve("outside")).doesNotExist();
  }

  @Test
  void aSymlinkedDirectoryLeadingOutsideIsRefused() throws IOException {
    Path root = root();
    Path outside = Files.createDirectories(temp.resolve("elsewhere"));
    Files.createSymbolicLink(root.resolve("link"), outside);

    assertThatThrownBy(() -> store(root).putFile(file("x"), "link/object", NONE))
        .isInstanceOfSatisfying(
            VigilException.class,
            e -> assertThat(e.type()).isEqualTo(ErrorType.OBJECT_KEY_INVALID));
    assertThat(outside).isEmptyDirectory();
  }

  @Test
  void objectsAreFilesAndTheirAttributesSitBesideThem() throws IOException {
    Path root = root();
    FilesystemObjectStore store = store(root);

    store.putFile(
        file("hello"),
        "sources/db/b1.vgl",
        new ObjectAttributes(null, Map.of("vigil-source", "db"), Map.of("vigil-sha256", "x")));

    assertThat(root.resolve("sources/db/b1.vgl")).hasContent("hello");
    assertThat(Files.readString(root.resolve("sources/db/b1.vgl.vigil-meta")))
        .contains("\"vigil-source\":\"db\"")
        .contains("\"size\":5")
        .contains("2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");
    try (var files = Files.list(root.resolve("sources/db"))) {
      assertThat(files.map(path -> path.getFileName().toString()))
          .containsExactlyInAnyOrder("b1.vgl", "b1.vgl.vigil-meta");
    }
    assertThat(store.list("")).containsExactly("sources/db/b1.vgl");
  }

  @Test
  void archivingToAnotherClassIsRefusedInOneLine() throws IOException {
    FilesystemObjectStore store = store(root());
    store.putFile(file("cold"), "a", NONE);

    assertThatThrownBy(() -> store.copy("a", "a", "GLACIER"))
        .isInstanceOfSatisfying(
            VigilException.class,
            e -> {
              assertThat(e.type()).isEqualTo(ErrorType.INVALID_CONFIG);
              assertThat(e.getMessage())
                  .isEqualTo(
                      "repository 'local' (filesystem) keeps every object in STANDARD; it cannot"
                          + " move 'a' to GLACIER; archive to an s3 repository instead");
            });
    assertThat(store.requestRestore("a", 1)).isEqualTo(ColdRestoreState.READABLE);
  }

  @Test
  void aMissingPathIsOneLineNamingRepositoryAndPath() throws IOException {
    Path missing = temp.resolve("not-mounted");
    FilesystemObjectStore store = store(missing);

    assertThatThrownBy(store::checkBucket)
        .isInstanceOfSatisfying(
            VigilException.class,
            e -> {
              assertThat(e.type()).isEqualTo(ErrorType.REPOSITORY_NOT_FOUND);
              assertThat(e.getMessage())
                  .isEqualTo(
                      "repository 'local': path "
                          + missing
                          + " does not exist; create it (mkdir -p "
                          + missing
                          + ") or mount it; or fix its path in vigil.yaml");
            });
    assertThatThrownBy(() -> store.putFile(file("x"), "a/b", NONE))
        .isInstanceOfSatisfying(
            VigilException.class,
            e -> assertThat(e.getMessage()).startsWith("repository 'local': path " + missing));
    assertThat(missing).doesNotExist();
  }

  @Test
  void anUnwritablePathIsOneLineNamingRepositoryAndPath() throws Exception {
    Path root = root();
    ReadOnly.make(root);
    try {
      FilesystemObjectStore store = store(root);

      assertThatThrownBy(() -> store.putFile(file("x"), "a/b", NONE))
          .isInstanceOfSatisfying(
              VigilException.class,
              e -> {
                assertThat(e.type()).isEqualTo(ErrorType.REPOSITORY_NOT_FOUND);
                assertThat(e.getMessage())
                    .isEqualTo(
                        "repository 'local': path "
                            + root
                            + " is not writable by this process; fix its owner or mode; or fix"
                            + " its path in vigil.yaml");
              });
    } finally {
      ReadOnly.undo(root);
    }
  }
}
