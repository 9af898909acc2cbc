package dev.vigil.activities.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A directory source's {@code layout:}: tar by default, chunked on request, not copied yet. */
class DirectoryLayoutConfigTest {
  private static final String KEY = Base64.getEncoder().encodeToString(new byte[32]);

  @TempDir Path dir;

  private final ConfigLoader loader = new ConfigLoader(Map.of("VIGIL_KEY", KEY)::get);

  private Path write(String sourceExtra) throws IOException {
    Path data = Files.createDirectories(dir.resolve("data"));
    Path file = dir.resolve("vigil.yaml");
    Files.writeString(
        file,
        """
        repositories:
          main: {bucket: vigil-backups}
          offsite: {bucket: vigil-offsite}
        encryption:
          key-env: VIGIL_KEY
        sources:
          models:
            type: directory
            repository: main
            kind: model
            path: %s
        %s"""
            .formatted(data, sourceExtra));
    return file;
  }

  private DirectorySourceConfig models(String sourceExtra) throws IOException {
    return (DirectorySourceConfig) loader.load(write(sourceExtra)).sources().get("models");
  }

  @Test
  void theLayoutIsTarUnlessChunkedIsAskedFor() throws IOException {
    assertThat(models("").chunked()).isFalse();
    assertThat(models("").layout()).isEqualTo("tar");
    assertThat(models("    layout: chunked\n").chunked()).isTrue();
  }

  @Test
  void anUnknownLayoutAndCopiesOfAChunkedSourceAreRefused() throws IOException {
    Path unknown = write("    layout: zip\n");
    ConfigException layout =
        catchThrowableOfType(() -> loader.load(unknown), ConfigException.class);
    assertThat(layout.problems()).singleElement().asString().contains("sources.models.layout");

    Path copied = write("    layout: chunked\n    copies: [offsite]\n");
    ConfigException copies = catchThrowableOfType(() -> loader.load(copied), ConfigException.class);
    assertThat(copies.problems())
        .singleElement()
        .asString()
        .contains("sources.models.copies")
        .contains("copies do not include the packs of layout: chunked yet")
        .contains("remove copies: or use layout: tar");
  }
}
