package dev.vigil.infra.deploy;

import dev.vigil.activities.config.ConfigException;
import dev.vigil.activities.config.ConfigLoader;
import dev.vigil.activities.config.VigilConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.Yaml;

/**
 * A deployment's vigil.yaml, read twice: as plain YAML (ports, binds, secret file names) and
 * through the real {@link ConfigLoader}, with its secret files (under a directory such as {@code
 * /run/secrets/}) stood in for by temporary files, since only the deployment mounts the real ones.
 */
record DeployedConfig(Path file, Map<String, Object> yaml, Set<String> secretFiles) {
  /** Top-level sections other parsers own; tolerated as unknown until those parsers exist. */
  private static final Set<String> SECTIONS_OF_OTHER_PARSERS =
      Set.of("api", "metrics", "schedules");

  static DeployedConfig read(Path file, String secretsDir) throws IOException {
    String text = Files.readString(file);
    Set<String> secrets = new TreeSet<>();
    Matcher reference =
        Pattern.compile(Pattern.quote(secretsDir) + "([A-Za-z0-9._-]+)").matcher(text);
    while (reference.find()) {
      secrets.add(reference.group(1));
    }
    return new DeployedConfig(file, YamlTree.parse(text), secrets);
  }

  /**
   * Loads the file with {@link ConfigLoader} after pointing {@code secretsDir} at stand-ins in
   * {@code workDir}: every referenced secret exists, the encryption key as 32 bytes in base64.
   */
  VigilConfig load(String secretsDir, Path workDir) throws IOException {
    Path secrets = Files.createDirectories(workDir.resolve("secrets"));
    for (String name : secretFiles) {
      String value =
          name.contains("encryption")
              ? Base64.getEncoder().encodeToString(new byte[32])
              : "stand-in-" + name;
      Files.writeString(secrets.resolve(name), value);
    }
    return load(secretsDir, secrets, workDir);
  }

  /**
   * Loads the file with {@link ConfigLoader}, its {@code secretsDir} pointed at {@code secrets}.
   */
  VigilConfig load(String secretsDir, Path secrets, Path workDir) throws IOException {
    Path copy = workDir.resolve("vigil.yaml");
    String target = secrets.toAbsolutePath() + "/";
    Files.writeString(copy, Files.readString(file).replace(secretsDir, target));
    ConfigLoader loader = new ConfigLoader(variable -> null);
    try {
      return loader.load(copy);
    } catch (ConfigException e) {
      List<String> real =
          e.problems().stream().filter(problem -> !unknownSectionOfOtherParser(problem)).toList();
      if (!real.isEmpty()) {
        throw new ConfigException(real);
      }
      // Only sections whose parsers are not on this branch yet: the loader checked the rest in
      // the same pass; load it without them for the values.
      Map<String, Object> withoutThem = new LinkedHashMap<>(yaml);
      SECTIONS_OF_OTHER_PARSERS.forEach(withoutThem::remove);
      Files.writeString(copy, new Yaml().dump(withoutThem).replace(secretsDir, target));
      return loader.load(copy);
    }
  }

  /** {@code <file>: api: unknown field; ...}: the loader does not know that section yet. */
  private static boolean unknownSectionOfOtherParser(String problem) {
    return SECTIONS_OF_OTHER_PARSERS.stream()
        .anyMatch(
            section ->
                problem.matches(
                    ".*: " + section + "( at line \\d+)?: unknown field; expected one of .*"));
  }

  Map<String, Object> section(String name) {
    return YamlTree.map(yaml.get(name));
  }

  int port(String section, int fallback) {
    Object port = section(section).get("port");
    return port == null ? fallback : ((Number) port).intValue();
  }

  String bind(String section) {
    return String.valueOf(section(section).get("bind"));
  }
}
