package dev.vigil.activities.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * A position in the YAML tree, with typed, validating accessors that record a problem (naming the
 * field path) instead of throwing, so one pass reports everything. Section parsers share it.
 */
public final class ConfigNode {
  private static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

  private final ConfigProblems problems;
  private final Function<String, String> environment;
  private final String path;
  public final String key;
  public final JsonNode value;
  private final Path base;

  ConfigNode(
      ConfigProblems problems,
      Function<String, String> environment,
      String path,
      JsonNode value,
      Path base) {
    this.problems = problems;
    this.environment = environment;
    this.path = path;
    this.key = path.contains(".") ? path.substring(path.lastIndexOf('.') + 1) : path;
    this.value = value;
    this.base = base;
  }

  public boolean missing() {
    return value == null || value.isMissingNode() || value.isNull();
  }

  private String at(String field) {
    if (field.isEmpty()) {
      return path;
    }
    return path.isEmpty() ? field : path + "." + field;
  }

  public void problem(String field, String message) {
    problems.add(at(field), message);
  }

  public int problemCount() {
    return problems.lines.size();
  }

  public void allow(String... fields) {
    if (missing() || !value.isObject()) {
      return;
    }
    Set<String> allowed = Set.of(fields);
    for (Iterator<String> names = value.fieldNames(); names.hasNext(); ) {
      String name = names.next();
      if (!allowed.contains(name)) {
        problem(name, "unknown field; expected one of " + List.of(fields));
      }
    }
  }

  public ConfigNode child(String field) {
    JsonNode child = missing() ? null : value.get(field);
    if (child != null && !child.isNull() && !child.isObject()) {
      problem(field, "expected a mapping, got " + given(child));
      child = null;
    }
    return new ConfigNode(problems, environment, at(field), child, base);
  }

  public ConfigNode required(String field) {
    ConfigNode child = child(field);
    if (child.missing()) {
      problem(field, "missing");
    }
    return child;
  }

  public List<ConfigNode> entries() {
    List<ConfigNode> entries = new ArrayList<>();
    if (!missing()) {
      value
          .fields()
          .forEachRemaining(
              e ->
                  entries.add(
                      new ConfigNode(problems, environment, at(e.getKey()), e.getValue(), base)));
    }
    return entries;
  }

  private JsonNode field(String field) {
    JsonNode node = missing() ? null : value.get(field);
    return node == null || node.isNull() ? null : node;
  }

  public String text(String field, String fallback) {
    JsonNode node = field(field);
    if (node == null) {
      return fallback;
    }
    if (!node.isValueNode()) {
      problem(field, "expected a single value, got " + given(node));
      return fallback;
    }
    return node.asText();
  }

  public String requiredText(String field) {
    String text = text(field, null);
    if (text == null && field(field) != null) {
      return null; // a list or mapping, already reported by text()
    }
    if (text == null || text.isBlank()) {
      problem(field, "missing");
      return null;
    }
    return text;
  }

  public String oneOf(String field, String fallback, Set<String> allowed) {
    String text = text(field, fallback);
    if (text == null && field(field) != null) {
      return null; // a list or mapping, already reported by text()
    }
    if (text == null) {
      problem(field, "missing; expected one of " + sorted(allowed));
      return null;
    }
    if (!allowed.contains(text)) {
      problem(field, "expected one of " + sorted(allowed) + ", got \"" + text + "\"");
      return null;
    }
    return text;
  }

  public int integer(String field, int fallback, int min, int max) {
    JsonNode node = field(field);
    if (node == null) {
      return fallback;
    }
    if (!node.canConvertToInt()
        || !node.isIntegralNumber()
        || node.asInt() < min
        || node.asInt() > max) {
      problem(field, "expected a whole number from " + min + " to " + max + ", got " + given(node));
      return fallback;
    }
    return node.asInt();
  }

  public boolean bool(String field, boolean fallback) {
    JsonNode node = field(field);
    if (node == null) {
      return fallback;
    }
    if (!node.isBoolean()) {
      problem(field, "expected true or false, got " + given(node));
      return fallback;
    }
    return node.asBoolean();
  }

  public long size(String field, long fallback) {
    String text = text(field, null);
    if (text == null) {
      return fallback;
    }
    try {
      return Sizes.parse(text);
    } catch (IllegalArgumentException e) {
      problem(field, e.getMessage());
      return fallback;
    }
  }

  public Duration duration(String field) {
    String text = text(field, null);
    if (text == null) {
      return null;
    }
    try {
      Duration duration = Durations.parse(text);
      if (duration.isZero() || duration.isNegative()) {
        problem(field, "must be longer than zero");
      }
      return duration;
    } catch (IllegalArgumentException e) {
      problem(field, e.getMessage());
      return null;
    }
  }

  public Path path(String field, Path fallback) {
    String text = text(field, null);
    if (text == null) {
      return fallback;
    }
    Path path = Path.of(text);
    return path.isAbsolute() ? path : base.resolve(path).normalize();
  }

  public List<String> globs(String field) {
    JsonNode node = field(field);
    if (node == null) {
      return List.of();
    }
    if (!node.isArray()) {
      problem(field, "expected a list of globs such as [\"**/*.pt\"], got " + given(node));
      return List.of();
    }
    List<String> globs = new ArrayList<>();
    node.forEach(element -> globs.add(element.asText()));
    return globs;
  }

  /**
   * A list of names (such as repository names); anything not a non-blank string is a problem naming
   * the element: {@code sources.appdb.copies[1]}.
   */
  List<String> names(String field, String example) {
    JsonNode node = field(field);
    if (node == null) {
      return List.of();
    }
    if (!node.isArray()) {
      problem(field, "expected a list such as " + example + ", got " + given(node));
      return List.of();
    }
    List<String> names = new ArrayList<>();
    for (int i = 0; i < node.size(); i++) {
      JsonNode element = node.get(i);
      if (!element.isTextual() || element.asText().isBlank()) {
        problem(field + "[" + i + "]", "expected a name, got " + element);
      } else {
        names.add(element.asText());
      }
    }
    return names;
  }

  /**
   * A list of absolute paths (normalized). Relative paths, {@code ..} segments and anything not a
   * string are problems naming the element: {@code worker.restore-roots[1]}.
   */
  public List<Path> absolutePaths(String field) {
    JsonNode node = field(field);
    if (node == null) {
      return List.of();
    }
    if (!node.isArray()) {
      problem(field, "expected a list of absolute directories such as [/srv/restores]");
      return List.of();
    }
    List<Path> paths = new ArrayList<>();
    for (int i = 0; i < node.size(); i++) {
      JsonNode element = node.get(i);
      String text = element.isTextual() ? element.asText() : null;
      String at = field + "[" + i + "]";
      if (text == null || text.isBlank()) {
        problem(at, "expected an absolute directory such as /srv/restores, got " + element);
      } else if (!text.startsWith("/") || List.of(text.split("/")).contains("..")) {
        problem(at, "expected an absolute path without '..', got \"" + text + "\"");
      } else if (Path.of(text).normalize().getNameCount() == 0) {
        problem(at, "the file system root is not allowed as a restore root");
      } else {
        paths.add(Path.of(text).normalize());
      }
    }
    return paths;
  }

  /** {@code <name>-env} or {@code <name>-file}; checks the env var is set and file readable. */
  public SecretRef secret(String name, boolean required) {
    String env = text(name + "-env", null);
    String file = text(name + "-file", null);
    if (env != null && file != null) {
      problem("", "set " + name + "-env or " + name + "-file, not both");
      return SecretRef.NONE;
    }
    if (env == null && file == null) {
      if (required && !missing()) {
        problem(name + "-env", "missing; set " + name + "-env or " + name + "-file");
      }
      return SecretRef.NONE;
    }
    if (env != null) {
      if (!ENV_NAME.matcher(env).matches()) {
        problem(name + "-env", "expected an environment variable name, got \"" + env + "\"");
      } else if (environment.apply(env) == null) {
        problem(name + "-env", "environment variable " + env + " is not set");
      }
      return new SecretRef(env, null);
    }
    Path path = path(name + "-file", null);
    if (!Files.isRegularFile(path)) {
      problem(name + "-file", "no such file: " + path);
    } else if (!Files.isReadable(path)) {
      problem(name + "-file", "cannot read " + path + "; check its owner and mode");
    }
    return new SecretRef(null, path);
  }

  /** The value as the user wrote it, for "expected X, got ..." messages. */
  public static String given(JsonNode node) {
    if (node.isObject()) {
      return "a mapping";
    }
    if (node.isArray()) {
      return "a list";
    }
    return "\"" + node.asText() + "\"";
  }

  private List<String> sorted(Set<String> values) {
    return values.stream().sorted().toList();
  }
}
