package dev.vigil.activities.config;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vigil.activities.source.SourceDriver;
import dev.vigil.activities.source.SourceDrivers;
import dev.vigil.activities.source.SourceSpec;
import dev.vigil.workflows.connection.TemporalReference;
import dev.vigil.workflows.connection.TemporalStubs;
import dev.vigil.workflows.connection.TemporalTls;
import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * Reads and validates vigil.yaml. An invalid file fails before anything runs, with one line per
 * problem: {@code vigil.yaml: sources.appdb.port: expected an integer from 1 to 65535, got "x"}.
 */
public final class ConfigLoader {
  private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9_-]{0,62}");
  private static final Pattern KEY_ID = Pattern.compile("[A-Za-z0-9._-]{1,64}");

  private final Function<String, String> environment;
  private final boolean checkLocalPaths;

  /** A loader that resolves env references against the process environment. */
  public ConfigLoader() {
    this(System::getenv);
  }

  /** A loader with a given environment (tests). */
  public ConfigLoader(Function<String, String> environment) {
    this(environment, true);
  }

  /**
   * A loader that does not require directory sources' paths to exist on this host: for verbs that
   * only read the catalog or talk to Temporal (the API server, listings), which may run on a host
   * where the worker's directories are not mounted.
   */
  public ConfigLoader withoutLocalPathChecks() {
    return new ConfigLoader(environment, false);
  }

  private ConfigLoader(Function<String, String> environment, boolean checkLocalPaths) {
    this.environment = environment;
    this.checkLocalPaths = checkLocalPaths;
  }

  /** Reads and validates {@code file}; throws {@link ConfigException} listing every problem. */
  public VigilConfig load(Path file) {
    String label = file.toString();
    YamlTree tree;
    try {
      tree = YamlTree.parse(Files.readAllBytes(file));
    } catch (NoSuchFileException e) {
      throw new ConfigException(List.of(label + ": no such file; pass --config PATH"));
    } catch (YamlTree.Unreadable e) {
      throw new ConfigException(List.of(label + ": " + e.getMessage()));
    } catch (IOException e) {
      throw new ConfigException(List.of(label + ": cannot read: " + e.getMessage()));
    }
    JsonNode root = tree.root();
    ConfigProblems problems = new ConfigProblems(label, tree.lines());
    for (YamlTree.Duplicate duplicate : tree.duplicates()) {
      problems.add(duplicate.path(), duplicate.line(), duplicateMessage(duplicate));
    }
    if (root == null || !root.isObject()) {
      problems.add("", "expected a mapping with sources, repositories and encryption");
      throw new ConfigException(problems.lines);
    }
    Path base = file.toAbsolutePath().getParent();
    ConfigNode top = new ConfigNode(problems, environment, "", root, base);
    top.allow(
        "temporal",
        "worker",
        "catalog",
        "repositories",
        "encryption",
        "sources",
        "drills",
        "schedules",
        "metrics",
        "api",
        "notifications");
    TemporalConfig temporal = temporal(top.child("temporal"));
    WorkerConfig worker = worker(top.child("worker"));
    CatalogConfig catalog = catalog(top.child("catalog"));
    Map<String, RepositoryConfig> repositories =
        RepositoryConfigParser.parse(top.required("repositories"));
    if (checkLocalPaths) {
      repositories.forEach(
          (name, repository) -> {
            String problem = repository.localProblem();
            if (problem != null) {
              problems.add("repositories." + name, problem);
            }
          });
    }
    EncryptionConfig encryption = encryption(top.required("encryption"));
    Map<String, List<ValidationConfig>> validations = new LinkedHashMap<>();
    Map<String, RetentionConfig> retention = new LinkedHashMap<>();
    Map<String, RowArchivalConfig> rowArchival = new LinkedHashMap<>();
    Map<String, List<String>> copies = new LinkedHashMap<>();
    Map<String, SourceConfig> sources =
        sources(top.required("sources"), repositories, validations, retention, rowArchival, copies);
    Map<String, DrillPlanConfig> drills = DrillConfigParser.parse(top.child("drills"), sources);
    Map<String, ScheduleConfig> schedules =
        ScheduleConfigParser.parse(
            top.child("schedules"),
            sources,
            drills,
            !retention.isEmpty() || !rowArchival.isEmpty());
    MetricsConfig metrics = MetricsConfigParser.parse(top.child("metrics"));
    ApiConfig api = ApiConfigParser.parse(top.child("api"));
    Map<String, NotificationChannelConfig> notifications =
        NotificationConfigParser.parse(top.child("notifications"));
    if (!problems.lines.isEmpty()) {
      throw new ConfigException(problems.lines);
    }
    return new VigilConfig(
        file.toAbsolutePath(),
        temporal,
        worker,
        catalog,
        repositories,
        encryption,
        sources,
        validations,
        retention,
        rowArchival,
        copies,
        drills,
        schedules,
        metrics,
        api,
        notifications);
  }

  private TemporalConfig temporal(ConfigNode node) {
    node.allow("target", "namespace", "task-queue", "tls", "api-key-env", "api-key-file");
    int before = node.problemCount();
    TemporalTls tls = temporalTls(node.child("tls"));
    TemporalReference apiKey = temporalReference(node, "api-key", "temporal.api-key");
    TemporalConfig temporal =
        new TemporalConfig(
            node.text("target", "127.0.0.1:7233"),
            node.text("namespace", "default"),
            node.text("task-queue", "vigil"),
            tls,
            apiKey);
    if (node.problemCount() == before) {
      // Certificates parse, are valid today and the key matches: said now, not at first connect.
      for (String problem : TemporalStubs.problems(temporal.access(), environment, Instant.now())) {
        int colon = problem.indexOf(": ");
        node.problem(problem.substring("temporal.".length(), colon), problem.substring(colon + 2));
      }
    }
    return temporal;
  }

  /** {@code temporal.tls}: present (even empty) turns TLS on. */
  private static TemporalTls temporalTls(ConfigNode node) {
    if (node.missing()) {
      return null;
    }
    node.allow(
        "server-ca-env",
        "server-ca-file",
        "client-cert-env",
        "client-cert-file",
        "client-key-env",
        "client-key-file",
        "server-name");
    return new TemporalTls(
        temporalReference(node, "server-ca", "temporal.tls.server-ca"),
        temporalReference(node, "client-cert", "temporal.tls.client-cert"),
        temporalReference(node, "client-key", "temporal.tls.client-key"),
        node.text("server-name", null));
  }

  private static TemporalReference temporalReference(ConfigNode node, String name, String setting) {
    SecretRef ref = node.secret(name, false);
    return ref.isSet() ? new TemporalReference(setting, ref.env(), ref.file()) : null;
  }

  private WorkerConfig worker(ConfigNode node) {
    node.allow(
        "host-id",
        "spool-dir",
        "max-parallel-sources",
        "sticky-execution",
        "restore-roots",
        "slots");
    String hostId = node.text("host-id", null);
    if (hostId == null) {
      hostId = localHostName();
    }
    Path spool =
        node.path("spool-dir", Path.of(System.getProperty("java.io.tmpdir"), "vigil-spool"));
    int parallel = node.integer("max-parallel-sources", 2, 1, 64);
    return new WorkerConfig(
        hostId,
        spool,
        parallel,
        node.bool("sticky-execution", true),
        node.absolutePaths("restore-roots"),
        WorkerSlotsParser.parse(node.child("slots")));
  }

  private CatalogConfig catalog(ConfigNode node) {
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

  private EncryptionConfig encryption(ConfigNode node) {
    node.allow("key-env", "key-file", "key-id", "keys", "current");
    ConfigNode keys = node.child("keys");
    if (keys.missing()) {
      if (node.text("current", null) != null) {
        node.problem("current", "names a key of encryption.keys, but there is no keys mapping");
      }
      String keyId = node.text("key-id", null);
      if (keyId != null && !KEY_ID.matcher(keyId).matches()) {
        node.problem("key-id", "use 1-64 letters, digits, '.', '_' or '-'");
      }
      return EncryptionConfig.single(checkedKey(node), keyId);
    }
    for (String single : List.of("key-env", "key-file", "key-id")) {
      if (node.text(single, null) != null) {
        node.problem(
            single,
            "set either one key (key-env/key-file/key-id) or several under keys with current,"
                + " not both; move this key under keys");
      }
    }
    List<EncryptionConfig.Key> configured = new ArrayList<>();
    for (ConfigNode entry : keys.entries()) {
      if (!KEY_ID.matcher(entry.key).matches()) {
        keys.problem(entry.key, "a key id uses 1-64 letters, digits, '.', '_' or '-'");
      }
      if (entry.missing() || !entry.value.isObject()) {
        keys.problem(entry.key, "expected a mapping with key-env or key-file");
        continue;
      }
      entry.allow("key-env", "key-file");
      configured.add(new EncryptionConfig.Key(entry.key, checkedKey(entry)));
    }
    if (configured.isEmpty()) {
      node.problem("keys", "name at least one key");
    }
    List<String> ids = configured.stream().map(EncryptionConfig.Key::id).toList();
    String current = node.text("current", configured.size() == 1 ? ids.get(0) : null);
    if (current == null && configured.size() > 1) {
      node.problem("current", "missing; name the key of " + ids + " that seals new backups");
    } else if (current != null && !ids.isEmpty() && !ids.contains(current)) {
      node.problem(
          "current",
          "\"" + current + "\" is not one of the keys " + ids + " under encryption.keys");
    }
    return new EncryptionConfig(configured, current);
  }

  /** The key reference at {@code node}, its key read and length-checked now. */
  private SecretRef checkedKey(ConfigNode node) {
    int before = node.problemCount();
    SecretRef key = node.secret("key", true);
    boolean referenceOk = node.problemCount() == before;
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
    return key;
  }

  private byte[] readKey(ConfigNode node, SecretRef key) {
    try {
      return KeyText.read(key, environment);
    } catch (IllegalArgumentException e) {
      node.problem(key.env() != null ? "key-env" : "key-file", e.getMessage());
      return null;
    }
  }

  private Map<String, SourceConfig> sources(
      ConfigNode node,
      Map<String, RepositoryConfig> repositories,
      Map<String, List<ValidationConfig>> validations,
      Map<String, RetentionConfig> retention,
      Map<String, RowArchivalConfig> rowArchival,
      Map<String, List<String>> copies) {
    Map<String, SourceConfig> sources = new LinkedHashMap<>();
    for (ConfigNode source : node.entries()) {
      if (!validName(source)) {
        continue;
      }
      String type = source.oneOf("type", null, SourceDrivers.STANDARD.types());
      String repository = source.text("repository", null);
      if (repository == null && repositories.size() == 1) {
        repository = repositories.keySet().iterator().next();
      } else if (repository == null && !repositories.isEmpty()) {
        source.problem("repository", "missing; name one of " + repositories.keySet());
      } else if (repository != null && !repositories.containsKey(repository)) {
        source.problem(
            "repository", "no repository \"" + repository + "\"; known: " + repositories.keySet());
      }
      List<String> copyTargets = copyTargets(source, repository, repositories);
      if (!copyTargets.isEmpty()) {
        copies.put(source.key, copyTargets);
      }
      String compression = source.oneOf("compression", "auto", Set.of("auto", "zstd", "none"));
      Objectives objectives = objectives(source.child("objectives"));
      if (type == null) {
        continue;
      }
      RetentionConfig policy = RetentionConfigParser.parse(source);
      if (policy != null) {
        retention.put(source.key, policy);
        archiveClassAvailable(source, policy, repositories.get(repository));
      }
      SourceDriver driver = SourceDrivers.STANDARD.forType(type).orElseThrow();
      SourceConfig parsed =
          driver.parse(
              new SourceSpec(
                  source,
                  repository,
                  compression,
                  objectives,
                  checkLocalPaths,
                  validations,
                  rowArchival));
      if (parsed instanceof PostgresSourceConfig postgres
          && postgres.physical()
          && !copyTargets.isEmpty()) {
        source.problem(
            "copies",
            "copies do not include archived WAL yet, so a copy of a physical base backup could"
                + " not be recovered; remove copies: or use mode: logical");
      }
      if (parsed instanceof DirectorySourceConfig directory
          && directory.chunked()
          && !copyTargets.isEmpty()) {
        source.problem(
            "copies",
            "copies do not include the packs of layout: chunked yet, so a copy could not be"
                + " restored; remove copies: or use layout: tar");
      }
      sources.put(source.key, parsed);
    }
    if (sources.isEmpty() && !node.missing()) {
      node.problem("", "name at least one source");
    }
    return sources;
  }

  /**
   * The repositories a source's backups are copied to: each one configured, none its own
   * repository, none twice.
   */
  private static List<String> copyTargets(
      ConfigNode source, String repository, Map<String, RepositoryConfig> repositories) {
    List<String> targets = new ArrayList<>();
    List<String> named = source.names("copies", "[offsite]");
    for (int i = 0; i < named.size(); i++) {
      String target = named.get(i);
      String at = "copies[" + i + "]";
      if (!repositories.containsKey(target)) {
        source.problem(
            at,
            "no repository \""
                + target
                + "\" to copy to; known: "
                + repositories.keySet()
                + " (add it under repositories:)");
      } else if (target.equals(repository)) {
        source.problem(
            at, "\"" + target + "\" is the source's own repository; a copy must go to another one");
      } else if (targets.contains(target)) {
        source.problem(at, "\"" + target + "\" is named twice");
      } else {
        targets.add(target);
      }
    }
    return targets;
  }

  private static String duplicateMessage(YamlTree.Duplicate duplicate) {
    if (duplicate.path().equals("sources." + duplicate.key())) {
      return "duplicate source name \""
          + duplicate.key()
          + "\", first defined at line "
          + duplicate.firstLine()
          + "; rename one";
    }
    return "duplicate key \""
        + duplicate.key()
        + "\", first at line "
        + duplicate.firstLine()
        + "; merge the two (YAML would silently keep only the last)";
  }

  private Objectives objectives(ConfigNode node) {
    node.allow("rpo", "rto");
    if (node.missing()) {
      return Objectives.NONE;
    }
    return new Objectives(node.duration("rpo"), node.duration("rto"));
  }

  /**
   * An archiving policy needs its class in the source's repository: a repository that keeps one
   * class (a filesystem) cannot archive, and that is said now rather than when retention runs.
   */
  private static void archiveClassAvailable(
      ConfigNode source, RetentionConfig policy, RepositoryConfig repository) {
    if (repository == null
        || (policy.archiveAfter() == null && policy.archiveUnusedAfter() == null)
        || repository.archiveStorageClasses().contains(policy.archiveStorageClass())) {
      return;
    }
    source.problem(
        "retention",
        "repository \""
            + repository.name()
            + "\" ("
            + repository.type()
            + ") "
            + (repository.archiveStorageClasses().isEmpty()
                ? "has no storage class retention can archive to"
                : "has no storage class "
                    + policy.archiveStorageClass()
                    + "; it archives to "
                    + new TreeSet<>(repository.archiveStorageClasses()))
            + "; remove archive-after/archive-unused-after or use an s3 repository");
  }

  static boolean validName(ConfigNode node) {
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
}
