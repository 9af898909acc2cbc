package dev.vigil.activities.source;

import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.vigil.activities.common.Json;
import dev.vigil.activities.common.SpoolErrors;
import dev.vigil.activities.common.SqlErrors;
import dev.vigil.activities.common.VigilException;
import dev.vigil.activities.config.PostgresSourceConfig;
import dev.vigil.workflows.common.ErrorType;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongConsumer;
import org.postgresql.ds.PGSimpleDataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Dumps a PostgreSQL database with {@code pg_dump -Fc} from a snapshot Vigil exported itself, so
 * the per-table row counts it takes in that snapshot describe exactly what the dump holds: a later
 * restore drill can compare them.
 *
 * <p>The password reaches pg_dump only through its environment. Without one, both Vigil's JDBC
 * connection and pg_dump use the same {@code .pgpass} file.
 */
public final class PostgresDumper {
  /** The archive's name in the spool. */
  public static final String DUMP_FILE = "dump.pgc";

  /** The per-table row counts' name in the spool: a JSON array of {schema, table, rows}. */
  public static final String TABLES_FILE = "tables.json";

  /** The source cluster's roles ({@link PgRoles}, no passwords) in the spool. */
  public static final String ROLES_FILE = "roles.json";

  private static final Logger LOG = LoggerFactory.getLogger(PostgresDumper.class);
  private static final Duration HEARTBEAT_EVERY = Duration.ofSeconds(2);
  private static final int CONNECT_TIMEOUT_SECONDS = 10;
  private static final String QUERY_CANCELED = "57014";

  // Leaf tables only: a partitioned parent's rows are its partitions' rows. Extension members are
  // left out because pg_dump does not dump their data either.
  private static final String USER_TABLES =
      """
      SELECT n.nspname, c.relname
        FROM pg_class c
        JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE c.relkind = 'r'
         AND n.nspname NOT IN ('pg_catalog', 'information_schema')
         AND n.nspname NOT LIKE 'pg\\_toast%'
         AND n.nspname NOT LIKE 'pg\\_temp\\_%'
         AND NOT EXISTS (SELECT 1 FROM pg_depend d
                          WHERE d.classid = 'pg_class'::regclass
                            AND d.objid = c.oid
                            AND d.deptype = 'e')
       ORDER BY n.nspname, c.relname
      """;

  private final PgTools tools;
  private final Path pgpassFile;
  private final Runnable afterSnapshot;

  /** Uses {@code PGPASSFILE} or {@code ~/.pgpass} when no password is given. */
  public PostgresDumper(PgTools tools) {
    this(tools, PgTools.defaultPgpassFile());
  }

  /** Uses {@code pgpassFile} (for Vigil and pg_dump alike) when no password is given. */
  public PostgresDumper(PgTools tools, Path pgpassFile) {
    this(tools, pgpassFile, () -> {});
  }

  /** {@code afterSnapshot} runs once the rows are counted, before pg_dump starts (for tests). */
  PostgresDumper(PgTools tools, Path pgpassFile, Runnable afterSnapshot) {
    this.tools = tools;
    this.pgpassFile = pgpassFile;
    this.afterSnapshot = afterSnapshot;
  }

  /**
   * Writes {@code spoolDir/dump.pgc}, {@code spoolDir/tables.json} and {@code spoolDir/roles.json}.
   *
   * @param password null to use {@code .pgpass}
   * @param bytesWritten called with the archive's size every ~2 s while pg_dump runs (and with 0
   *     while rows are counted): a heartbeat; if it throws, pg_dump is stopped
   * @throws VigilException SOURCE_UNREACHABLE, AUTHENTICATION_FAILED, DATABASE_PERMISSION_DENIED,
   *     SOURCE_NOT_FOUND, DUMP_FAILED or SPOOL_FULL
   * @throws CancellationException if the calling thread is interrupted (pg_dump is stopped)
   */
  public PgDump dump(
      PostgresSourceConfig source, String password, Path spoolDir, LongConsumer bytesWritten) {
    Path dumpFile = spoolDir.resolve(DUMP_FILE);
    return dump(
        source,
        password,
        spoolDir,
        bytesWritten,
        dumpFile,
        (target, snapshot) -> {
          runPgDump(target, snapshot, dumpFile, spoolDir, bytesWritten);
          try {
            return Files.size(dumpFile);
          } catch (IOException e) {
            throw spoolFailure(e, target, spoolDir);
          }
        });
  }

  /**
   * As {@link #dump}, but pg_dump's archive is never a file: it streams into {@code sink} (the
   * sealer) and, on the way, into {@code pg_restore --list}, which must read its table of contents
   * and list at least one entry. Writes {@code spoolDir/tables.json} and {@code
   * spoolDir/roles.json}; {@code sink} is not closed.
   *
   * @param bytesWritten called with the bytes streamed so far every ~2 s (a heartbeat); if it
   *     throws, pg_dump is stopped
   * @throws VigilException as {@link #dump}, and DUMP_INVALID if pg_restore cannot read the archive
   *     or it lists nothing
   */
  public Streamed dumpInto(
      PostgresSourceConfig source,
      String password,
      Path spoolDir,
      OutputStream sink,
      LongConsumer bytesWritten) {
    AtomicLong listed = new AtomicLong();
    PgDump dump =
        dump(
            source,
            password,
            spoolDir,
            bytesWritten,
            null,
            (target, snapshot) -> {
              PgDumpPipe.Outcome outcome =
                  streamPgDump(target, snapshot, sink, spoolDir, bytesWritten);
              listed.set(outcome.entries());
              return outcome.bytes();
            });
    return new Streamed(dump, listed.get());
  }

  /**
   * A dump streamed by {@link #dumpInto}.
   *
   * @param dump what it holds ({@code dumpFile} is null: there is no raw file)
   * @param listedEntries the entries {@code pg_restore --list} read from the stream
   */
  public record Streamed(PgDump dump, long listedEntries) {}

  /** Runs pg_dump in the exported snapshot; returns the archive's size. */
  private interface PgDumpRun {
    long run(Target target, String snapshot);
  }

  private PgDump dump(
      PostgresSourceConfig source,
      String password,
      Path spoolDir,
      LongConsumer bytesWritten,
      Path dumpFile,
      PgDumpRun pgDump) {
    Target target = new Target(source, passwordFor(source, password));
    long bytes = 0;
    try {
      Files.createDirectories(spoolDir);
    } catch (IOException e) {
      throw spoolFailure(e, target, spoolDir);
    }
    String pgDumpVersion = pgDumpVersion(target);
    List<TableRows> tables = new ArrayList<>();
    Instant consistentAt;
    String serverVersion;
    PgRoles roles;
    try (Connection connection = connect(target);
        Statement statement = connection.createStatement()) {
      statement.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
      String snapshot;
      try (ResultSet row =
          statement.executeQuery(
              "SELECT pg_export_snapshot(), clock_timestamp(),"
                  + " current_setting('server_version')")) {
        row.next();
        snapshot = row.getString(1);
        consistentAt = row.getObject(2, OffsetDateTime.class).toInstant();
        serverVersion = row.getString(3);
      }
      // Roles are cluster-wide and outside any snapshot; read with the dump, they are what its
      // GRANTs name.
      roles = PgRoles.read(statement);
      afterSnapshot.run();
      // Count rows on the exporting transaction while pg_dump reads the same snapshot: both see
      // exactly the same data, and the counting scan overlaps the dump instead of adding to it.
      CompletableFuture<Void> counting =
          CompletableFuture.runAsync(
              () -> {
                try {
                  countRows(statement, tables, counted -> {});
                } catch (SQLException e) {
                  throw new CompletionException(e);
                }
              });
      try {
        bytes = pgDump.run(target, snapshot);
      } catch (RuntimeException dumpFailure) {
        // pg_dump failed or was cancelled: stop the counting query too.
        if (!counting.isDone()) {
          statement.cancel();
        }
        SQLException countingFailure = countingFailure(counting);
        if (countingFailure != null && !QUERY_CANCELED.equals(countingFailure.getSQLState())) {
          // The count failed on its own (a table the user may not read): that aborted the
          // exporting transaction, so pg_dump only saw its snapshot vanish. The count says why.
          throw countingFailure;
        }
        throw dumpFailure;
      }
      awaitCounting(counting);
      statement.execute("COMMIT");
    } catch (SQLException e) {
      throw sqlFailure(e, target);
    }
    long totalRows = tables.stream().mapToLong(TableRows::rows).sum();
    try {
      writeTables(spoolDir.resolve(TABLES_FILE), tables);
      Json.MAPPER
          .writerWithDefaultPrettyPrinter()
          .writeValue(spoolDir.resolve(ROLES_FILE).toFile(), roles);
    } catch (IOException e) {
      throw spoolFailure(e, target, spoolDir);
    }
    bytesWritten.accept(bytes);
    LOG.info(
        "source '{}': dumped {} tables, {} rows, {} bytes as of {}",
        source.name(),
        tables.size(),
        totalRows,
        bytes,
        consistentAt);
    return new PgDump(
        dumpFile, bytes, tables.size(), totalRows, consistentAt, pgDumpVersion, serverVersion);
  }

  /**
   * Copies the source's whole cluster with {@code pg_basebackup} into {@code
   * spoolDir/basebackup.tar} ({@link PgBaseBackup}).
   *
   * @param password null to use {@code .pgpass}
   * @throws VigilException SOURCE_UNREACHABLE, AUTHENTICATION_FAILED, DATABASE_PERMISSION_DENIED,
   *     DUMP_FAILED or SPOOL_FULL
   */
  public PhysicalDump baseBackup(
      PostgresSourceConfig source, String password, Path spoolDir, LongConsumer bytesWritten) {
    Target target = new Target(source, passwordFor(source, password));
    return new PgBaseBackup(tools, this).run(target, spoolDir, bytesWritten);
  }

  /**
   * The number of entries in the archive's table of contents ({@code pg_restore --list}): proof
   * that pg_restore can read it.
   *
   * @throws VigilException DUMP_INVALID if pg_restore cannot read it or it lists nothing,
   *     SPOOL_MISSING if the file is gone
   */
  public long listEntries(Path dumpFile) {
    if (!Files.isRegularFile(dumpFile)) {
      throw new VigilException(
          ErrorType.SPOOL_MISSING,
          "dump file "
              + dumpFile
              + " is missing (spool cleared or host replaced); the backup must be taken again");
    }
    AtomicLong entries = new AtomicLong();
    PgTools.ProcessOutcome outcome;
    try {
      outcome =
          tools.run(
              List.of(tools.pgRestore(), "--list", dumpFile.toString()),
              Map.of(),
              line -> {
                if (!line.isBlank() && !line.startsWith(";")) {
                  entries.incrementAndGet();
                }
              },
              HEARTBEAT_EVERY,
              () -> {});
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CancellationException("pg_restore --list " + dumpFile + " was interrupted");
    } catch (UncheckedIOException e) {
      throw new VigilException(
          ErrorType.DUMP_FAILED,
          "cannot run pg_restore ("
              + e.getCause().getMessage()
              + "); install PostgreSQL's client tools on the worker host",
          e);
    }
    if (outcome.exitCode() != 0) {
      throw new VigilException(
          ErrorType.DUMP_INVALID,
          "dump file "
              + dumpFile
              + " is not a readable pg_dump archive: "
              + outcome.lastStderrLine());
    }
    if (entries.get() == 0) {
      throw new VigilException(
          ErrorType.DUMP_INVALID,
          "dump file " + dumpFile + " has no entries (pg_restore --list lists nothing)");
    }
    return entries.get();
  }

  private Password passwordFor(PostgresSourceConfig source, String given) {
    if (given != null) {
      boolean configured = source.password() != null && source.password().isSet();
      return new Password(
          given, configured ? "password from " + source.password().describe() : "given password");
    }
    Optional<String> fromFile =
        PgTools.pgpassPassword(
            pgpassFile, source.host(), source.port(), source.database(), source.user());
    return fromFile
        .map(value -> new Password(value, "password from " + pgpassFile))
        .orElseGet(
            () ->
                new Password(null, "no password configured and no matching line in " + pgpassFile));
  }

  private String pgDumpVersion(Target target) {
    try {
      return tools.pgDumpVersion();
    } catch (UncheckedIOException | IllegalStateException e) {
      throw new VigilException(
          ErrorType.DUMP_FAILED,
          target.prefix()
              + "cannot run pg_dump ("
              + e.getMessage()
              + "); install PostgreSQL's client tools on the worker host",
          e);
    }
  }

  private Connection connect(Target target) throws SQLException {
    PostgresSourceConfig source = target.source();
    PGSimpleDataSource dataSource = new PGSimpleDataSource();
    dataSource.setServerNames(new String[] {source.host()});
    dataSource.setPortNumbers(new int[] {source.port()});
    dataSource.setDatabaseName(source.database());
    dataSource.setUser(source.user());
    if (target.password().value() != null) {
      dataSource.setPassword(target.password().value());
    }
    dataSource.setConnectTimeout(CONNECT_TIMEOUT_SECONDS);
    dataSource.setLoginTimeout(CONNECT_TIMEOUT_SECONDS);
    dataSource.setApplicationName("vigil");
    // BEGIN/COMMIT are sent explicitly, so the isolation level is exactly the one asked for.
    Connection connection = dataSource.getConnection();
    connection.setAutoCommit(true);
    return connection;
  }

  private static void countRows(Statement statement, List<TableRows> tables, LongConsumer heartbeat)
      throws SQLException {
    List<String[]> names = new ArrayList<>();
    try (ResultSet rows = statement.executeQuery(USER_TABLES)) {
      while (rows.next()) {
        names.add(new String[] {rows.getString(1), rows.getString(2)});
      }
    }
    long lastBeat = System.nanoTime();
    for (String[] name : names) {
      // ONLY: a parent of inheritance children would otherwise count their rows a second time.
      try (ResultSet count =
          statement.executeQuery(
              "SELECT count(*) FROM ONLY " + quote(name[0]) + "." + quote(name[1]))) {
        count.next();
        tables.add(new TableRows(name[0], name[1], count.getLong(1)));
      }
      if (System.nanoTime() - lastBeat > HEARTBEAT_EVERY.toNanos()) {
        heartbeat.accept(0);
        lastBeat = System.nanoTime();
      }
    }
  }

  private static void awaitCounting(CompletableFuture<Void> counting) throws SQLException {
    try {
      counting.join();
    } catch (CompletionException e) {
      if (e.getCause() instanceof SQLException sql) {
        throw sql;
      }
      throw e;
    } catch (CancellationException e) {
      throw new SQLException("row counting was cancelled", e);
    }
  }

  /** How the counting ended once it has: null if it succeeded or did not fail in SQL. */
  private static SQLException countingFailure(CompletableFuture<Void> counting) {
    try {
      counting.join();
      return null;
    } catch (CompletionException e) {
      return e.getCause() instanceof SQLException sql ? sql : null;
    } catch (CancellationException e) {
      return null;
    }
  }

  private static String quote(String identifier) {
    return "\"" + identifier.replace("\"", "\"\"") + "\"";
  }

  private void runPgDump(
      Target target, String snapshot, Path dumpFile, Path spoolDir, LongConsumer bytesWritten) {
    List<String> command = new ArrayList<>(pgDumpCommand(target, snapshot));
    command.add("-f");
    command.add(dumpFile.toString());
    LOG.info("source '{}': {}", target.source().name(), String.join(" ", command));
    PgTools.ProcessOutcome outcome =
        runTool(
            target,
            "pg_dump",
            command,
            environment(target),
            null,
            () -> bytesWritten.accept(sizeOrZero(dumpFile)));
    checkPgDump(target, outcome, spoolDir, "pg_dump writes " + dumpFile.getFileName());
  }

  private PgDumpPipe.Outcome streamPgDump(
      Target target, String snapshot, OutputStream sink, Path spoolDir, LongConsumer bytesWritten) {
    List<String> command = pgDumpCommand(target, snapshot);
    LOG.info(
        "source '{}': {} | seal, | pg_restore --list",
        target.source().name(),
        String.join(" ", command));
    PgDumpPipe.Outcome outcome;
    try {
      outcome =
          new PgDumpPipe(tools)
              .run(command, environment(target), sink, HEARTBEAT_EVERY, bytesWritten);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CancellationException(target.prefix() + "pg_dump was interrupted");
    } catch (UncheckedIOException e) {
      throw new VigilException(
          ErrorType.DUMP_FAILED,
          target.prefix()
              + "cannot run pg_dump or pg_restore ("
              + e.getCause().getMessage()
              + "); install PostgreSQL's client tools on the worker host",
          e);
    } catch (IOException e) {
      throw SpoolErrors.translate(
          e,
          spoolDir,
          target.prefix() + "sealing pg_dump's archive",
          new VigilException(
              ErrorType.SPOOL_MISSING,
              target.prefix()
                  + "cannot write the sealed dump to spool "
                  + spoolDir
                  + ": "
                  + e.getMessage(),
              e));
    }
    checkPgDump(target, outcome.dump(), spoolDir, "pg_dump's archive is sealed");
    // pg_dump succeeded, so the archive is whole: pg_restore must have read it.
    if (outcome.list().exitCode() != 0) {
      throw new VigilException(
          ErrorType.DUMP_INVALID,
          target.prefix()
              + "pg_dump's archive of database '"
              + target.source().database()
              + "' is not readable by pg_restore: "
              + target.redact(outcome.list().lastStderrLine()));
    }
    if (outcome.entries() == 0) {
      throw new VigilException(
          ErrorType.DUMP_INVALID,
          target.prefix()
              + "pg_dump's archive of database '"
              + target.source().database()
              + "' has no entries (pg_restore --list lists nothing)");
    }
    return outcome;
  }

  /** pg_dump of the source in {@code snapshot}, custom format, uncompressed, to stdout. */
  private List<String> pgDumpCommand(Target target, String snapshot) {
    PostgresSourceConfig source = target.source();
    return List.of(
        tools.pgDump(),
        "-Fc",
        "-Z0",
        "--snapshot=" + snapshot,
        "--no-password",
        "-h",
        source.host(),
        "-p",
        Integer.toString(source.port()),
        "-U",
        source.user(),
        "-d",
        source.database());
  }

  /** Turns a failed pg_dump into the error a person can act on. */
  private static void checkPgDump(
      Target target, PgTools.ProcessOutcome outcome, Path spoolDir, String writing) {
    PostgresSourceConfig source = target.source();
    if (outcome.exitCode() == 0) {
      return;
    }
    String stderr = target.redact(outcome.stderrTail());
    String lastLine = target.redact(outcome.lastStderrLine());
    String why = target.redact(SqlErrors.condense(outcome.stderrTail()));
    if (diskFull(stderr)) {
      throw spoolFull(target, spoolDir, writing, lastLine);
    }
    if (passwordRefused(stderr)) {
      throw refused(target, "pg_dump", why);
    }
    if (SqlErrors.permissionDenied(stderr)) {
      throw permissionDenied(target, why, null);
    }
    throw new VigilException(
        ErrorType.DUMP_FAILED,
        target.prefix()
            + "pg_dump of database '"
            + source.database()
            + "' at "
            + target.address()
            + " as user '"
            + source.user()
            + "' failed (exit "
            + outcome.exitCode()
            + "): "
            + why);
  }

  static boolean diskFull(String stderr) {
    return stderr.contains("No space left on device") || stderr.contains("Disk quota exceeded");
  }

  static boolean passwordRefused(String stderr) {
    return stderr.contains("password authentication failed") || stderr.contains("no password");
  }

  static VigilException spoolFull(Target target, Path spoolDir, String writing, String why) {
    return new VigilException(
        ErrorType.SPOOL_FULL,
        target.prefix()
            + "spool "
            + spoolDir
            + " is full while "
            + writing
            + " ("
            + why
            + "); free space or point worker.spool-dir at a larger disk");
  }

  static VigilException refused(Target target, String tool, String why) {
    return new VigilException(
        ErrorType.AUTHENTICATION_FAILED,
        target.prefix()
            + tool
            + " was refused by PostgreSQL at "
            + target.address()
            + " as user '"
            + target.source().user()
            + "' ("
            + why
            + "; "
            + target.password().origin()
            + ")");
  }

  /**
   * Runs a client tool, heartbeating through {@code progress} every ~2 s.
   *
   * @throws VigilException DUMP_FAILED if the tool is not installed
   * @throws CancellationException if the calling thread is interrupted (the tool is stopped)
   */
  PgTools.ProcessOutcome runTool(
      Target target,
      String tool,
      List<String> command,
      Map<String, String> environment,
      java.util.function.Consumer<String> stdoutLines,
      Runnable progress) {
    try {
      return tools.run(command, environment, stdoutLines, HEARTBEAT_EVERY, progress);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CancellationException(target.prefix() + tool + " was interrupted");
    } catch (UncheckedIOException e) {
      throw new VigilException(
          ErrorType.DUMP_FAILED,
          target.prefix()
              + "cannot run "
              + tool
              + " ("
              + e.getCause().getMessage()
              + "); install PostgreSQL's client tools on the worker host",
          e);
    }
  }

  /** The environment of a client tool: the password only here, never on its command line. */
  Map<String, String> environment(Target target) {
    Map<String, String> environment = new HashMap<>();
    // Null removes an inherited PGPASSWORD: without a configured password, .pgpass decides, as
    // it did for Vigil's own connection.
    environment.put("PGPASSWORD", target.password().value());
    environment.put("PGPASSFILE", pgpassFile.toString());
    environment.put("PGCONNECT_TIMEOUT", Integer.toString(CONNECT_TIMEOUT_SECONDS));
    environment.put("PGAPPNAME", "vigil");
    return environment;
  }

  static long sizeOrZero(Path file) {
    try {
      return Files.size(file);
    } catch (IOException notYetCreated) {
      return 0;
    }
  }

  private static void writeTables(Path file, List<TableRows> tables) throws IOException {
    ArrayNode array = Json.MAPPER.createArrayNode();
    for (TableRows table : tables) {
      array
          .addObject()
          .put("schema", table.schema())
          .put("table", table.table())
          .put("rows", table.rows());
    }
    Json.MAPPER.writerWithDefaultPrettyPrinter().writeValue(file.toFile(), array);
  }

  private static VigilException spoolFailure(IOException error, Target target, Path spoolDir) {
    return SpoolErrors.translate(
        error,
        spoolDir,
        "source '" + target.source().name() + "'",
        new VigilException(
            ErrorType.DUMP_FAILED,
            target.prefix() + "cannot write to spool " + spoolDir + ": " + error.getMessage(),
            error));
  }

  private static VigilException sqlFailure(SQLException error, Target target) {
    PostgresSourceConfig source = target.source();
    String state = error.getSQLState() == null ? "" : error.getSQLState();
    String serverMessage = target.redact(SqlErrors.serverMessage(error));
    switch (state) {
      case "28P01", "28000", "08004" -> {
        // 08004: the driver's "server asked for a password but none was given".
        return new VigilException(
            ErrorType.AUTHENTICATION_FAILED,
            target.prefix()
                + "PostgreSQL at "
                + target.address()
                + " refused user '"
                + source.user()
                + "' for database '"
                + source.database()
                + "' ("
                + serverMessage
                + "; "
                + target.password().origin()
                + "); check sources."
                + source.name()
                + ".user, the password and pg_hba.conf",
            error);
      }
      case "3D000" -> {
        return new VigilException(
            ErrorType.SOURCE_NOT_FOUND,
            target.prefix()
                + "database '"
                + source.database()
                + "' does not exist on PostgreSQL at "
                + target.address()
                + " (user '"
                + source.user()
                + "'); check sources."
                + source.name()
                + ".database",
            error);
      }
      case SqlErrors.INSUFFICIENT_PRIVILEGE -> {
        return permissionDenied(target, serverMessage, error);
      }
      default -> {
        if (state.startsWith("08") || state.equals("57P03") || state.equals("53300")) {
          return new VigilException(
              ErrorType.SOURCE_UNREACHABLE,
              target.prefix()
                  + "cannot connect to PostgreSQL at "
                  + target.address()
                  + " ("
                  + Objects.requireNonNullElse(SqlErrors.unreachableReason(error), serverMessage)
                  + "); check sources."
                  + source.name()
                  + ".host/port and that the server is running",
              error);
        }
        return new VigilException(
            ErrorType.DUMP_FAILED,
            target.prefix()
                + "reading database '"
                + source.database()
                + "' at "
                + target.address()
                + " as user '"
                + source.user()
                + "' failed (SQLState "
                + state
                + "): "
                + serverMessage,
            error);
      }
    }
  }

  private static VigilException permissionDenied(Target target, String why, SQLException cause) {
    PostgresSourceConfig source = target.source();
    return new VigilException(
        ErrorType.DATABASE_PERMISSION_DENIED,
        target.prefix()
            + "user '"
            + source.user()
            + "' may not read everything in database '"
            + source.database()
            + "' at "
            + target.address()
            + " ("
            + why
            + "); grant it pg_read_all_data (PostgreSQL 14+) or CONNECT, USAGE on the schemas and"
            + " SELECT on every table and sequence",
        cause);
  }

  /** A password and where it came from, for messages; never shown itself. */
  record Password(String value, String origin) {}

  /** The source being dumped, for connections and messages. */
  record Target(PostgresSourceConfig source, Password password) {
    String address() {
      return source.host() + ":" + source.port();
    }

    String prefix() {
      return "source '" + source.name() + "': ";
    }

    /** A tool or server should never echo the password; if one does, it goes no further. */
    String redact(String text) {
      String secret = password.value();
      // Very short passwords would blank out ordinary words; they are also never echoed.
      return secret == null || secret.length() < 4 ? text : text.replace(secret, "****");
    }
  }

  private record TableRows(String schema, String table, long rows) {}
}
