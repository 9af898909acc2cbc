package dev.vigil.activities.source.mongo;

import dev.vigil.activities.common.Json;
import dev.vigil.activities.common.SpoolErrors;
import dev.vigil.activities.common.VigilException;
import dev.vigil.workflows.common.ErrorType;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.LongConsumer;

/**
 * The tool path: {@code mongodump --archive} and {@code mongorestore --archive}, when they are
 * installed on the worker. The connection string with the password goes to the tools in a {@code
 * --config} YAML file (mode 0600, in the spool, deleted after the run), never on the command line,
 * where any user of the host could read it in the process list.
 */
public final class MongoTools {
  /** The tool's config file in the spool: holds the password while the tool runs. */
  static final String CONFIG = "mongo-tool.yaml";

  private final Map<String, String> environment;

  /** Looks tools up on this process's PATH. */
  public MongoTools() {
    this(System.getenv());
  }

  MongoTools(Map<String, String> environment) {
    this.environment = environment;
  }

  /** The binary: {@code configured} if given (it must be executable), else {@code name} on PATH. */
  public Optional<Path> locate(Path configured, String name) {
    if (configured != null) {
      return Files.isExecutable(configured) ? Optional.of(configured) : Optional.empty();
    }
    String path = environment.getOrDefault("PATH", "");
    for (String dir : path.split(java.io.File.pathSeparator)) {
      if (dir.isEmpty()) {
        continue;
      }
      Path candidate = Path.of(dir, name);
      if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
        return Optional.of(candidate);
      }
    }
    return Optional.empty();
  }

  /**
   * {@code mongodump --config=FILE --archive=ARCHIVE [--oplog | --db=DB]}: the uri (with the
   * password) is in FILE.
   */
  static List<String> dumpCommand(Path mongodump, Path config, Path archive, MongoSource source) {
    List<String> command = new ArrayList<>();
    command.add(mongodump.toString());
    command.add("--config=" + config);
    command.add("--archive=" + archive);
    if (source.useOplog()) {
      command.add("--oplog");
    }
    for (String database : source.databases()) {
      command.add("--db=" + database);
    }
    return command;
  }

  /**
   * {@code mongorestore --config=FILE --archive=ARCHIVE --nsInclude=DB.* [--nsFrom=DB.*
   * --nsTo=NEW.*] [--drop] [--oplogReplay]}: {@code --drop} only when the restore is forced.
   */
  static List<String> restoreCommand(
      Path mongorestore,
      Path config,
      Path archive,
      List<String> databases,
      MongoTarget target,
      boolean oplogReplay) {
    List<String> command = new ArrayList<>();
    command.add(mongorestore.toString());
    command.add("--config=" + config);
    command.add("--archive=" + archive);
    // An archive with an oplog is restored whole (mongorestore replays the oplog over all of it).
    for (String database : oplogReplay ? List.<String>of() : databases) {
      command.add("--nsInclude=" + database + ".*");
    }
    for (String database : oplogReplay ? List.<String>of() : databases) {
      String into = target.databaseFor(database);
      if (!into.equals(database)) {
        command.add("--nsFrom=" + database + ".*");
        command.add("--nsTo=" + into + ".*");
      }
    }
    if (target.force()) {
      command.add("--drop");
    }
    if (oplogReplay) {
      command.add("--oplogReplay");
    }
    return command;
  }

  /**
   * The config file's text: {@code uri: "mongodb://user:password@host/..."} with user and password
   * percent-encoded, as a YAML double-quoted (JSON) string.
   */
  static String configText(String uri, String user, String password) {
    String full = uri;
    if (user != null) {
      int scheme = uri.indexOf("://") + 3;
      full =
          uri.substring(0, scheme)
              + encode(user)
              + (password == null ? "" : ":" + encode(password))
              + "@"
              + uri.substring(scheme);
    }
    try {
      return "uri: " + Json.MAPPER.writeValueAsString(full) + "\n";
    } catch (IOException e) {
      throw new IllegalStateException("cannot quote a string", e);
    }
  }

  /** Writes the config file, readable by this user only from its first byte. */
  static Path writeConfig(Path dir, String uri, String user, String password) throws IOException {
    Path config = dir.resolve(CONFIG);
    Files.deleteIfExists(config);
    Files.createFile(
        config, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    Files.writeString(config, configText(uri, user, password), StandardCharsets.UTF_8);
    return config;
  }

  /** Runs mongodump into {@code spoolDir}; counts the archive's documents per collection. */
  public MongoDump dump(
      Path mongodump, MongoSource source, String password, Path spoolDir, LongConsumer progress) {
    String what = "source '" + source.name() + "'";
    Path archive = spoolDir.resolve(MongoLayout.TOOL_ARCHIVE);
    Instant startedAt = Instant.now();
    Path config = null;
    try {
      config = writeConfig(spoolDir, source.uri(), source.user(), password);
      run(
          dumpCommand(mongodump, config, archive, source),
          spoolDir.resolve("mongodump.log"),
          what + ": mongodump",
          password,
          ErrorType.DUMP_FAILED,
          () -> progress.accept(sizeOf(archive)));
    } catch (IOException e) {
      throw SpoolErrors.translate(
          e,
          spoolDir,
          "dump",
          new VigilException(ErrorType.DUMP_FAILED, what + ": cannot run mongodump: " + e, e));
    } finally {
      deleteQuietly(config);
    }
    List<CollectionDump> collections = new ArrayList<>();
    List<String> warnings = new ArrayList<>();
    ToolArchive.count(archive)
        .forEach(
            (namespace, documents) -> {
              int dot = namespace.indexOf('.');
              if (dot < 0) {
                warnings.add("the archive holds " + documents + " oplog entries (--oplog)");
              } else {
                collections.add(
                    new CollectionDump(
                        namespace.substring(0, dot),
                        namespace.substring(dot + 1),
                        documents,
                        0,
                        0));
              }
            });
    return MongoDump.record(
        archive,
        MongoLayout.ARCHIVE_FORMAT,
        collections,
        startedAt,
        "mongodump" + (source.useOplog() ? " --oplog" : ""),
        null,
        warnings);
  }

  /** Runs mongorestore of {@code archive} into {@code target}. */
  public void restore(
      Path mongorestore,
      Path archive,
      List<String> databases,
      MongoTarget target,
      boolean oplogReplay,
      Path spoolDir,
      Runnable heartbeat) {
    String what = "restore target MongoDB at " + MongoConnections.hosts(target.uri());
    Path config = null;
    try {
      config = writeConfig(spoolDir, target.uri(), target.user(), target.password());
      run(
          restoreCommand(mongorestore, config, archive, databases, target, oplogReplay),
          spoolDir.resolve("mongorestore.log"),
          what + ": mongorestore",
          target.password(),
          ErrorType.RESTORE_FAILED,
          heartbeat);
    } catch (IOException e) {
      throw new VigilException(
          ErrorType.RESTORE_FAILED, what + ": cannot run mongorestore: " + e, e);
    } finally {
      deleteQuietly(config);
    }
  }

  private static void run(
      List<String> command,
      Path log,
      String what,
      String password,
      ErrorType failure,
      Runnable heartbeat)
      throws IOException {
    Process process =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
            .start();
    try {
      while (!process.waitFor(5, TimeUnit.SECONDS)) {
        heartbeat.run();
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new VigilException(failure, what + " was interrupted", e);
    }
    if (process.exitValue() != 0) {
      throw new VigilException(
          failure,
          what
              + " exited with "
              + process.exitValue()
              + ": "
              + scrub(lastLine(log), password)
              + " (log: "
              + log
              + ")");
    }
  }

  private static String lastLine(Path log) throws IOException {
    List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
    for (int i = lines.size() - 1; i >= 0; i--) {
      if (!lines.get(i).isBlank()) {
        return lines.get(i).strip();
      }
    }
    return "(no output)";
  }

  /** The line without the password, raw or percent-encoded, and without URI user info. */
  static String scrub(String line, String password) {
    String scrubbed = line.replaceAll("(mongodb(?:\\+srv)?://)[^@/\\s]+@", "$1***@");
    if (password != null && !password.isEmpty()) {
      scrubbed = scrubbed.replace(password, "***").replace(encode(password), "***");
    }
    return scrubbed;
  }

  private static String encode(String text) {
    return URLEncoder.encode(text, StandardCharsets.UTF_8).replace("+", "%20");
  }

  private static long sizeOf(Path file) {
    try {
      return Files.size(file);
    } catch (IOException e) {
      return 0;
    }
  }

  private static void deleteQuietly(Path file) {
    if (file != null) {
      try {
        Files.deleteIfExists(file);
      } catch (IOException ignored) {
        // inside the spool, which is deleted with the backup
      }
    }
  }
}
