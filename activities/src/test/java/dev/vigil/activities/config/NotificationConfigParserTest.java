package dev.vigil.activities.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The {@code notifications:} section through the real loader. */
class NotificationConfigParserTest {
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

  private final ConfigLoader loader =
      new ConfigLoader(
          Map.of("VIGIL_KEY", KEY, "OPS_HOOK", "https://hooks.example.com/T0KEN")::get);

  @Test
  void withoutASectionNothingIsSent() throws IOException {
    assertThat(loader.load(write(BASE)).notifications()).isEmpty();
  }

  @Test
  void channelsAreReadWithTheirFiltersAndTheirUrlsByReference() throws IOException {
    Path url = Files.writeString(dir.resolve("slack.url"), "https://hooks.slack.com/services/X");
    var channels =
        loader
            .load(
                write(
                    BASE
                        + "notifications:\n"
                        + "  ops: {type: webhook, url-env: OPS_HOOK}\n"
                        + "  team:\n"
                        + "    type: slack\n"
                        + "    url-file: "
                        + url
                        + "\n"
                        + "    on: [failure]\n"
                        + "    events: [backup, report]\n"))
            .notifications();

    assertThat(channels.keySet()).containsExactly("ops", "team");
    NotificationChannelConfig ops = channels.get("ops");
    assertThat(ops.url()).isEqualTo(new SecretRef("OPS_HOOK", null));
    assertThat(ops.on()).containsExactly("success", "failure");
    assertThat(ops.events()).containsExactly("backup", "drill", "report");
    NotificationChannelConfig team = channels.get("team");
    assertThat(team.type()).isEqualTo("slack");
    assertThat(team.url().file()).isEqualTo(url);
    assertThat(team.takes("backup", "failure")).isTrue();
    assertThat(team.takes("backup", "success")).isFalse();
    assertThat(team.takes("drill", "failure")).isFalse();
    assertThat(team.on()).isEqualTo(Set.of("failure"));
  }

  @Test
  void mistakesAreOneLineEachNamingTheSettingAndNeverTheUrl() throws IOException {
    Path file =
        write(
            BASE
                + "notifications:\n"
                + "  ops:\n"
                + "    type: pager\n"
                + "    url-env: MISSING_HOOK\n"
                + "    on: [failures]\n"
                + "  team:\n"
                + "    type: slack\n"
                + "    events: []\n"
                + "    url: https://hooks.slack.com/services/T0KEN\n");

    assertThatThrownBy(() -> loader.load(file))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining(
            "notifications.ops.type at line 13: expected one of [slack, webhook], got \"pager\"")
        .hasMessageContaining(
            "notifications.ops.url-env at line 14: environment variable MISSING_HOOK is not set")
        .hasMessageContaining(
            "notifications.ops.on at line 15: expected one or more of [success, failure], got"
                + " \"failures\"")
        .hasMessageContaining(
            "notifications.team.url at line 19: unknown field; expected one of [type, url-env,"
                + " url-file, on, events]")
        .hasMessageContaining(
            "notifications.team.events at line 18: expected one or more of [backup, drill,"
                + " report]; an empty list sends nothing")
        .hasMessageContaining("notifications.team.url-env: missing; set url-env or url-file")
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("T0KEN"));
  }

  private Path write(String yaml) throws IOException {
    Files.createDirectories(dir.resolve("data/models"));
    return Files.writeString(dir.resolve("vigil.yaml"), yaml);
  }
}
