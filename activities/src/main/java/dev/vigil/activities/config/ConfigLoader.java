package dev.vigil.activities.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * Reads and validates vigil.yaml. An invalid file fails before anything runs, with one line per
 * problem: {@code vigil.yaml: sources.appdb.port: expected an integer from 1 to 65535, got "x"}.
 */
public final class ConfigLoader {
  private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9_-]{0,62}");
  private static final Pattern BUCKET = Pattern.compile("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]");
  private static final Pattern KEY_ID = Pattern.compile("[A-Za-z0-9._-]{1,64}");
  private static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
  private static final Set<String> STORAGE_CLASSES =
      Set.of(
          "STANDARD",
          "REDUCED_REDUNDANCY",
          "STANDARD_IA",
          "ONEZONE_IA",
          "INTELLIGENT_TIERING",
          "GLACIER",
          "GLACIER_IR",
          "DEEP_ARCHIVE");
  private static final long MIN_PART_SIZE = 5L * 1024 * 1024;

  private final Function<String, String> environment;

  /** A loader that resolves env references against the process environment. */
  public ConfigLoader() {
    this(System::getenv);
  }

  /** A loader with a given environment (tests). */
  public ConfigLoader(Function<String, String> environment) {
    this.environment = environment;
  }

  /** Reads and validates {@code file}; throws {@link ConfigException} listing every problem. */
  public VigilConfig load(Path file) {
    String label = file.toString();
    JsonNode root;
    try {
      root = new ObjectMapper(new YAMLFactory()).readTree(Files.newBufferedReader(file));
    } catch (NoSuchFileException e) {
      throw new ConfigException(List.of(label + ": no such file; pass --config PATH"));
    } catch (JsonProcessingException e) {
      var location = e.getLocation();
      String where =
          location == null ? "" : ":" + location.getLineNr() + ":" + location.getColumnNr();
      throw new ConfigException(
          List.of(label + where + ": malformed YAML: " + e.getOriginalMessage()));
    } catch (IOException e) {
      throw new ConfigException(List.of(label + ": cannot read: " + e.getMessage()));
    }
    Problems problems = new Problems(label);
    if (root == null || !root.isObject()) {
      problems.add("", "expected a mapping with sources, repositories and encryption");
      throw new ConfigException(problems.lines);
    }
    Path base = file.toAbsolutePath().getParent();
    Node top = new Node(problems, "", root, base);
    top.allow("temporal", "worker", "catalog", "repositories", "encryption", "sources");
    TemporalConfig temporal = temporal(top.child("temporal"));
    WorkerConfig worker = worker(top.child("worker"));
    CatalogConfig catalog = catalog(top.child("catalog"));
    Map<String, S3RepositoryConfig> repositories = repositories(top.required("repositories"));
    EncryptionConfig encryption = encryption(top.required("encryption"));
    Map<String, SourceConfig> sources = sources(top.required("sources"), repositories);
    if (!problems.lines.isEmpty()) {
      throw new ConfigException(problems.lines);
    }
    return new VigilConfig(
        file.toAbsolutePath(), temporal, worker, catalog, repositories, encryption, sources);
  }

  private TemporalConfig temporal(Node node) {
    node.allow("target", "namespace", "task-queue");
    return new TemporalConfig(
        node.text("target", "127.0.0.1:7233"),
        node.text("namespace", "default"),
        node.text("task-queue", "vigil"));
  }

  private WorkerConfig worker(Node node) {
    node.allow("host-id", "spool-dir", "max-parallel-sources");
    String hostId = node.text("host-id", null);
    if (hostId == null) {
      hostId = localHostName();
    }
    Path spool =
        node.path("spool-dir", Path.of(System.getProperty("java.io.tmpdir"), "vigil-spool"));
    int parallel = node.integer("max-parallel-sources", 2, 1, 64);
    return new WorkerConfig(hostId, spool, parallel);
  }

  private CatalogConfig catalog(Node node) {
    node.allow("jdbc-url", "user", "password-env", "password-file");
    if (node.missing()) {
      return null;
    }
    String url = node.requiredText("jdbc-url");
    if (url != null && !url.startsWith("jdbc:postgresql:")) {
      node.problem("jdbc-url", "expected a PostgreSQL JDBC URL (jdbc:postgresql://host:port/db)");
    }
    return new CatalogConfig(url, node.requiredText("user"), node.secret("password", false));
  }

  private Map<String, S3RepositoryConfig> repositories(Node node) {
    Map<String, S3RepositoryConfig> repositories = new LinkedHashMap<>();
    for (Node repo : node.entries()) {
      if (!validName(repo)) {
        continue;
      }
      repo.allow(
          "type",
          "endpoint",
          "region",
          "bucket",
          "prefix",
          "storage-class",
          "path-style-access",
          "checksum-mode",
          "access-key-id-env",
          "access-key-id-file",
          "secret-access-key-env",
          "secret-access-key-file",
          "part-size");
      repo.oneOf("type", "s3", Set.of("s3"));
      URI endpoint = null;
      String endpointText = repo.text("endpoint", null);
      if (endpointText != null) {
        try {
          endpoint = new URI(endpointText);
          if (endpoint.getScheme() == null || endpoint.getHost() == null) {
            repo.problem("endpoint", "expected a URL such as http://127.0.0.1:9090");
          }
        } catch (URISyntaxException e) {
          repo.problem("endpoint", "expected a URL such as http://127.0.0.1:9090");
        }
      }
      String bucket = repo.requiredText("bucket");
      if (bucket != null && !BUCKET.matcher(bucket).matches()) {
        repo.problem("bucket", "not a valid S3 bucket name: \"" + bucket + "\"");
      }
      String prefix = repo.text("prefix", "").replaceAll("^/+|/+$", "");
      String storageClass = repo.oneOf("storage-class", "STANDARD", STORAGE_CLASSES);
      String checksumMode =
          repo.oneOf("checksum-mode", "when-supported", Set.of("when-supported", "when-required"));
      SecretRef accessKey = repo.secret("access-key-id", false);
      SecretRef secretKey = repo.secret("secret-access-key", false);
      if (accessKey.isSet() != secretKey.isSet()) {
        repo.problem(
            "",
            "set both access-key-id-env/-file and secret-access-key-env/-file, or neither (then"
                + " the AWS default credential chain applies)");
      }
      long partSize = repo.size("part-size", 16L * 1024 * 1024);
      if (partSize < MIN_PART_SIZE) {
        repo.problem("part-size", "must be at least 5MiB (S3's minimum part size)");
      }
      repositories.put(
          repo.key,
          new S3RepositoryConfig(
              repo.key,
              endpoint,
              repo.text("region", "us-east-1"),
              bucket,
              prefix,
              storageClass,
              repo.bool("path-style-access", false),
              checksumMode,
              accessKey,
              secretKey,
              partSize));
    }
    if (repositories.isEmpty() && !node.missing()) {
      node.problem("", "name at least one repository");
    }
    return repositories;
  }

  private EncryptionConfig encryption(Node node) {
    node.allow("key-env", "key-file", "key-id");
    int before = node.problemCount();
    SecretRef key = node.secret("key", true);
    boolean referenceOk = node.problemCount() == before;
    String keyId = node.text("key-id", null);
    if (keyId != null && !KEY_ID.matcher(keyId).matches()) {
      node.problem("key-id", "use 1-64 letters, digits, '.', '_' or '-'");
    }
    if (key.isSet() && referenceOk) {
      byte[] material = readKey(node, key);
      if (material != null && material.length != 32) {
        node.problem(
            key.env() != null ? "key-env" : "key-file",
            "the key from "
                + key.describe()
                + " is "
                + material.length
                + " bytes; Vigil needs 32 (256 bits). Make one with: head -c 32 /dev/urandom |"
                + " base64");
      }
    }
    return new EncryptionConfig(key, keyId);
  }

  private byte[] readKey(Node node, SecretRef key) {
    try {
      return KeyText.read(key, environment);
    } catch (IllegalArgumentException e) {
      node.problem(key.env() != null ? "key-env" : "key-file", e.getMessage());
      return null;
    }
  }

  private Map<String, SourceConfig> sources(
      Node node, Map<String, S3RepositoryConfig> repositories) {
    Map<String, SourceConfig> sources = new LinkedHashMap<>();
    for (Node source : node.entries()) {
      if (!validName(source)) {
        continue;
      }
      String type = source.oneOf("type", null, Set.of("postgres", "directory"));
      String repository = source.text("repository", null);
      if (repository == null && repositories.size() == 1) {
        repository = repositories.keySet().iterator().next();
      } else if (repository == null) {
        source.problem("repository", "missing; name one of " + repositories.keySet());
      } else if (!repositories.containsKey(repository)) {
        source.problem(
            "repository", "no repository \"" + repository + "\"; known: " + repositories.keySet());
      }
      String compression = source.oneOf("compression", "auto", Set.of("auto", "zstd", "none"));
      Objectives objectives = objectives(source.child("objectives"));
      if (type == null) {
        continue;
      }
      if (type.equals("postgres")) {
        source.allow(
            "type",
            "repository",
            "compression",
            "objectives",
            "host",
            "port",
            "database",
            "user",
            "password-env",
            "password-file");
        sources.put(
            source.key,
            new PostgresSourceConfig(
                source.key,
                repository,
                source.requiredText("host"),
                source.integer("port", 5432, 1, 65535),
                source.requiredText("database"),
                source.requiredText("user"),
                source.secret("password", false),
                compression,
                objectives));
      } else {
        source.allow(
            "type",
            "repository",
            "compression",
            "objectives",
            "path",
            "kind",
            "include",
            "exclude");
        Path path = source.path("path", null);
        if (path == null) {
          source.problem("path", "missing; the directory to back up");
        }
        sources.put(
            source.key,
            new DirectorySourceConfig(
                source.key,
                repository,
                source.oneOf("kind", null, Set.of("model", "dataset", "config")),
                path,
                source.globs("include"),
                source.globs("exclude"),
                compression,
                objectives));
      }
    }
    if (sources.isEmpty() && !node.missing()) {
      node.problem("", "name at least one source");
    }
    return sources;
  }

  private Objectives objectives(Node node) {
    node.allow("rpo", "rto");
    if (node.missing()) {
      return Objectives.NONE;
    }
    return new Objectives(node.duration("rpo"), node.duration("rto"));
  }

  private static boolean validName(Node node) {
    if (!NAME.matcher(node.key).matches()) {
      node.problem("", "name \"" + node.key + "\" must be lower-case letters, digits, '-' or '_'");
      return false;
    }
    if (!node.value.isObject()) {
      node.problem("", "expected a mapping");
      return false;
    }
    return true;
  }

  private static String localHostName() {
    String env = System.getenv("HOSTNAME");
    if (env != null && !env.isBlank()) {
      return env;
    }
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (UnknownHostException e) {
      return "localhost";
    }
  }

  /** Collects problems as {@code file: path: message} lines. */
  private static final class Problems {
    private final String file;
    private final List<String> lines = new ArrayList<>();

    Problems(String file) {
      this.file = file;
    }

    void add(String path, String message) {
      lines.add(file + ": " + (path.isEmpty() ? "" : path + ": ") + message);
    }
  }

  /** A position in the YAML tree, with typed, validating accessors. */
  private final class Node {
    private final Problems problems;
    private final String path;
    private final String key;
    private final JsonNode value;
    private final Path base;

    Node(Problems problems, String path, JsonNode value, Path base) {
      this.problems = problems;
      this.path = path;
      this.key = path.contains(".") ? path.substring(path.lastIndexOf('.') + 1) : path;
      this.value = value;
      this.base = base;
    }

    boolean missing() {
      return value == null || value.isMissingNode() || value.isNull();
    }

    private String at(String field) {
      if (field.isEmpty()) {
        return path;
      }
      return path.isEmpty() ? field : path + "." + field;
    }

    void problem(String field, String message) {
      problems.add(at(field), message);
    }

    int problemCount() {
      return problems.lines.size();
    }

    void allow(String... fields) {
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

    Node child(String field) {
      JsonNode child = missing() ? null : value.get(field);
      if (child != null && !child.isNull() && !child.isObject()) {
        problem(field, "expected a mapping");
        child = null;
      }
      return new Node(problems, at(field), child, base);
    }

    Node required(String field) {
      Node child = child(field);
      if (child.missing()) {
        problem(field, "missing");
      }
      return child;
    }

    List<Node> entries() {
      List<Node> entries = new ArrayList<>();
      if (!missing()) {
        value
            .fields()
            .forEachRemaining(
                e -> entries.add(new Node(problems, at(e.getKey()), e.getValue(), base)));
      }
      return entries;
    }

    private JsonNode field(String field) {
      JsonNode node = missing() ? null : value.get(field);
      return node == null || node.isNull() ? null : node;
    }

    String text(String field, String fallback) {
      JsonNode node = field(field);
      if (node == null) {
        return fallback;
      }
      if (!node.isValueNode()) {
        problem(field, "expected a single value");
        return fallback;
      }
      return node.asText();
    }

    String requiredText(String field) {
      String text = text(field, null);
      if (text == null || text.isBlank()) {
        problem(field, "missing");
        return null;
      }
      return text;
    }

    String oneOf(String field, String fallback, Set<String> allowed) {
      String text = text(field, fallback);
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

    int integer(String field, int fallback, int min, int max) {
      JsonNode node = field(field);
      if (node == null) {
        return fallback;
      }
      if (!node.canConvertToInt()
          || !node.isIntegralNumber()
          || node.asInt() < min
          || node.asInt() > max) {
        problem(
            field,
            "expected an integer from " + min + " to " + max + ", got \"" + node.asText() + "\"");
        return fallback;
      }
      return node.asInt();
    }

    boolean bool(String field, boolean fallback) {
      JsonNode node = field(field);
      if (node == null) {
        return fallback;
      }
      if (!node.isBoolean()) {
        problem(field, "expected true or false, got \"" + node.asText() + "\"");
        return fallback;
      }
      return node.asBoolean();
    }

    long size(String field, long fallback) {
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

    Duration duration(String field) {
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

    Path path(String field, Path fallback) {
      String text = text(field, null);
      if (text == null) {
        return fallback;
      }
      Path path = Path.of(text);
      return path.isAbsolute() ? path : base.resolve(path).normalize();
    }

    List<String> globs(String field) {
      JsonNode node = field(field);
      if (node == null) {
        return List.of();
      }
      if (!node.isArray()) {
        problem(field, "expected a list of globs such as [\"**/*.pt\"]");
        return List.of();
      }
      List<String> globs = new ArrayList<>();
      node.forEach(element -> globs.add(element.asText()));
      return globs;
    }

    /** {@code <name>-env} or {@code <name>-file}; checks the env var is set and file readable. */
    SecretRef secret(String name, boolean required) {
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

    private List<String> sorted(Set<String> values) {
      return values.stream().sorted().toList();
    }
  }
}
