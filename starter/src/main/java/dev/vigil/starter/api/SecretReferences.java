package dev.vigil.starter.api;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Function;

/**
 * Resolves a secret named by reference ({@code <name>-env} or {@code <name>-file}), as vigil.yaml
 * does everywhere. Messages name the reference, never the value.
 */
final class SecretReferences {
  private SecretReferences() {}

  /**
   * The stripped secret, or null when neither reference is set and {@code required} is false.
   *
   * @param at the config path of the secret without suffix, e.g. {@code api.tokens.ops.token}
   */
  static String resolve(
      String at, String env, String file, boolean required, Function<String, String> environment) {
    if (env != null && file != null) {
      throw new ApiConfigurationException(at + "-env and " + at + "-file are both set; keep one");
    }
    if (env == null && file == null) {
      if (required) {
        throw new ApiConfigurationException(
            at + "-env or " + at + "-file: missing; secrets are given by reference only");
      }
      return null;
    }
    if (env != null) {
      String value = environment.apply(env);
      if (value == null) {
        throw new ApiConfigurationException(
            at + "-env: environment variable " + env + " is not set; export it and start again");
      }
      return value.strip();
    }
    Path path = Path.of(file);
    try {
      return Files.readString(path, StandardCharsets.UTF_8).strip();
    } catch (IOException e) {
      throw new ApiConfigurationException(
          at
              + "-file: cannot read "
              + path
              + " ("
              + e.getClass().getSimpleName()
              + "); create it or fix the path");
    }
  }
}
