package dev.vigil.activities.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MetricsConfigParserTest {
  private static final String KEY = Base64.getEncoder().encodeToString(new byte[32]);

  private static final String BASE =
      """
      repositories:
        main:
          bucket: vigil-backups
      encryption:
        key-env: VIGIL_KEY
      sources:
        models:
          type: directory
          kind: model
          path: data/models
      """;

  @TempDir Path dir;

  private final ConfigLoader loader = new ConfigLoader(Map.of("VIGIL_KEY", KEY)::get);

  @Test
  void withoutAMetricsSectionTheEndpointListensOnLoopbackPort9464() throws IOException {
    MetricsConfig metrics = loader.load(write(BASE)).metrics();

    assertThat(metrics).isEqualTo(new MetricsConfig("127.0.0.1", 9464));
    assertThat(metrics.enabled()).isTrue();
  }

  @Test
  void portAndBindAreRead() throws IOException {
    MetricsConfig metrics =
        loader.load(write(BASE + "metrics:\n  port: 19464\n  bind: 0.0.0.0\n")).metrics();

    assertThat(metrics).isEqualTo(new MetricsConfig("0.0.0.0", 19464));
  }

  @Test
  void portZeroTurnsTheEndpointOff() throws IOException {
    assertThat(loader.load(write(BASE + "metrics: {port: 0}\n")).metrics().enabled()).isFalse();
  }

  @Test
  void badValuesAreReportedWithTheirPath() throws IOException {
    Path file = write(BASE + "metrics:\n  port: 70000\n  bind: metrics.example\n  path: /m\n");

    assertThatThrownBy(() -> loader.load(file))
        .hasMessageContaining(
            "metrics.port at line 12: expected a whole number from 0 to 65535, got \"70000\"")
        .hasMessageContaining("metrics.bind at line 13: expected an IP address such as 127.0.0.1")
        .hasMessageContaining(
            "metrics.path at line 14: unknown field; expected one of [port, bind]");
  }

  private Path write(String yaml) throws IOException {
    Files.createDirectories(dir.resolve("data/models"));
    return Files.writeString(dir.resolve("vigil.yaml"), yaml);
  }
}
