package dev.vigil.activities.source.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.vigil.activities.config.ConfigException;
import dev.vigil.activities.config.ConfigLoader;
import dev.vigil.activities.config.SecretRef;
import dev.vigil.activities.config.ValidationConfig;
import dev.vigil.activities.config.VigilConfig;
import dev.vigil.activities.source.SourceDrivers;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RedisConfigTest {
  private static final String KEY = Base64.getEncoder().encodeToString(new byte[32]);
  private static final String BASE =
      """
      catalog:
        jdbc-url: jdbc:postgresql://127.0.0.1:5432/vigil
        user: vigil
      repositories:
        main:
          bucket: vigil-backups
      encryption:
        key-env: VIGIL_KEY
      sources:
        cache:
          type: redis
      """;

  @TempDir Path dir;

  private final ConfigLoader loader =
      new ConfigLoader(Map.of("VIGIL_KEY", KEY, "REDIS_PASSWORD", "pw")::get);

  @Test
  void readsARedisSourceWithItsDefaults() throws IOException {
    VigilConfig config =
        loader.load(
            write(
                BASE
                    + """
                        host: cache.internal
                        password-env: REDIS_PASSWORD
                        tls: true
                        validations:
                          - name: flags
                            query: "EXISTS config:flags"
                            expect: "= 1"
                    """));

    assertThat(config.sources().get("cache"))
        .isEqualTo(
            new RedisSourceConfig(
                "cache",
                "main",
                "cache.internal",
                6379,
                null,
                new SecretRef("REDIS_PASSWORD", null),
                true,
                "auto",
                dev.vigil.activities.config.Objectives.NONE));
    assertThat(config.validations().get("cache"))
        .containsExactly(new ValidationConfig("flags", "EXISTS config:flags", "= 1"));
  }

  @Test
  void mistakesAreOneLineEachNamingTheField() throws IOException {
    Path file =
        write(
            BASE
                + """
                    hostname: cache.internal
                    port: 70000
                    tls: maybe
                """);

    List<String> problems =
        catchThrowableOfType(() -> loader.load(file), ConfigException.class).problems();

    assertThat(problems)
        .containsExactlyInAnyOrder(
            file
                + ": sources.cache.hostname at line 12: unknown field; expected one of [type,"
                + " repository, copies, compression, objectives, retention, validations, host, port, user,"
                + " password-env, password-file, tls]",
            file + ": sources.cache.host: missing (in sources.cache at line 10)",
            file
                + ": sources.cache.port at line 13: expected a whole number from 1 to 65535, got"
                + " \"70000\"",
            file + ": sources.cache.tls at line 14: expected true or false, got \"maybe\"");
  }

  @Test
  void theRegistryFindsRedisByTypeAndByTheFormatItsBackupsHave() {
    assertThat(SourceDrivers.STANDARD.forType("redis")).containsInstanceOf(RedisDriver.class);
    assertThat(SourceDrivers.STANDARD.forFormat(RedisDriver.FORMAT))
        .containsInstanceOf(RedisDriver.class);
  }

  private Path write(String yaml) throws IOException {
    Path file = dir.resolve("vigil.yaml");
    Files.writeString(file, yaml);
    return file;
  }
}
