package dev.vigil.activities.restore;

import dev.vigil.activities.common.SqlErrors;
import dev.vigil.activities.common.VigilException;
import dev.vigil.activities.config.ValidationConfig;
import dev.vigil.activities.source.PgRoles;
import dev.vigil.activities.source.PgTools;
import dev.vigil.workflows.common.ErrorType;
import dev.vigil.workflows.restore.ValidationResult;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CancellationException;
import org.postgresql.ds.PGSimpleDataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Restores a pg_dump custom-format archive with {@code pg_restore -j N} into a database, after
 * checking the database is empty (or creating it), and validates the result: row counts as recorded
 * at backup time and the source's validation queries.
 */
public final class PostgresRestorer {
  private static final Logger log = LoggerFactory.getLogger(PostgresRestorer.class);
  private static final Duration HEARTBEAT_EVERY = Duration.ofSeconds(2);
  private static final int CONNECT_TIMEOUT_SECONDS = 10;

  private static final String USER_TABLES =
      """
      SELECT n.nspname || '.' || c.relname
        FROM pg_class c
        JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE c.relkind IN ('r', 'p')
         AND n.nspname NOT IN ('pg_catalog', 'information_schema')
         AND n.nspname NOT LIKE 'pg\\_toast%'
         AND n.nspname NOT LIKE 'pg\\_temp\\_%'
       ORDER BY 1
      """;

  private final PgTools tools;

  public PostgresRestorer(PgTools tools) {
    this.tools = tools;
  }

  /**
   * A database to restore into. The password is used for connections and pg_restore's environment,
   * never shown.
   *
   * @param password null for none (libpq's {@code .pgpass})
   */
  public record Database(String host, int port, String database, String user, String password) {
    /** {@code database 'x' at host:port}, for messages. */
    public String describe() {
      return "database '" + database + "' at " + host + ":" + port;
    }

    @Override
    public String toString() {
      return describe() + " as '" + user + "'";
    }
  }

  /**
   * Checks the target without changing it, before anything is downloaded: TARGET_NOT_EMPTY if it
   * exists with user tables and {@code replace} is false. Returns whether it holds user tables.
   */
  public boolean checkTarget(Database target, boolean replace) {
    return exists(target, false) && holdsTables(target, replace);
  }

  /**
   * Creates the database if it is absent. Returns whether it holds user tables, which pg_restore
   * must then replace ({@code --clean}); TARGET_NOT_EMPTY if it does and neither {@code force} nor
   * {@code claimed} (an earlier attempt of this restore found it empty) allows that.
   */
  public boolean prepare(Database target, boolean force, boolean claimed) {
    return exists(target, true) && holdsTables(target, force || claimed);
  }

  /** Creates the database if no database of that name exists; returns whether this call did. */
  public boolean createIfAbsent(Database target) {
    return !exists(target, true);
  }

  /**
   * Drops the database and ends the sessions still connected to it ({@code WITH (FORCE)} from
   * PostgreSQL 13, {@code pg_terminate_backend} before); an absent database is fine. Only for a
   * database this restore created.
   */
  public void dropDatabase(Database target) {
    try (Connection connection = connect(target, "postgres");
        Statement statement = connection.createStatement()) {
      String drop = "DROP DATABASE IF EXISTS " + quote(target.database());
      if (connection.getMetaData().getDatabaseMajorVersion() >= 13) {
        statement.execute(drop + " WITH (FORCE)");
        return;
      }
      try (PreparedStatement terminate =
          connection.prepareStatement(
              "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = ?")) {
        terminate.setString(1, target.database());
        terminate.execute();
      }
      statement.execute(drop);
    } catch (SQLException e) {
      throw failure(e, target, "dropping");
    }
  }

  /** Whether the database exists; with {@code create}, an absent one is created (then false). */
  private boolean exists(Database target, boolean create) {
    try (Connection connection = connect(target, "postgres");
        PreparedStatement query =
            connection.prepareStatement("SELECT 1 FROM pg_database WHERE datname = ?")) {
      query.setString(1, target.database());
      boolean exists;
      try (ResultSet row = query.executeQuery()) {
        exists = row.next();
      }
      if (!exists && create) {
        try (Statement statement = connection.createStatement()) {
          statement.execute("CREATE DATABASE " + quote(target.database()));
        }
      }
      return exists;
    } catch (SQLException e) {
      throw failure(e, target, "preparing");
    }
  }

  private boolean holdsTables(Database target, boolean replace) {
    List<String> tables = new ArrayList<>();
    try (Connection connection = connect(target, target.database());
        Statement statement = connection.createStatement();
        ResultSet rows = statement.executeQuery(USER_TABLES)) {
      while (rows.next()) {
        tables.add(rows.getString(1));
      }
    } catch (SQLException e) {
      throw failure(e, target, "inspecting");
    }
    if (tables.isEmpty()) {
      return false;
    }
    if (!replace) {
      throw new VigilException(
          ErrorType.TARGET_NOT_EMPTY,
          "restore target "
              + target.describe()
              + " is not empty ("
              + tables.size()
              + " tables, e.g. "
              + tables.get(0)
              + "); restore into an empty or new database, or pass --force to replace what the"
              + " backup holds");
    }
    return true;
  }

  /**
   * Creates the roles of the backup's source cluster that the target's cluster lacks, before
   * pg_restore replays the GRANTs that name them; a role that exists is never altered. In a fresh
   * cluster (one Vigil started for this restore) a role keeps its recorded attributes and
   * memberships. On any other server a missing role is created {@code NOLOGIN} and only memberships
   * among the roles created now are granted, so a restore adds no login there and widens no
   * existing role; if the restoring user may not create roles, nothing is created and pg_restore
   * reports the missing role if the dump needs it. Never SUPERUSER, REPLICATION, BYPASSRLS or a
   * password.
   *
   * @return the names of the roles created
   */
  public List<String> createRoles(Database target, PgRoles roles, boolean freshCluster) {
    if (roles.roles().isEmpty()) {
      return List.of();
    }
    List<String> created = new ArrayList<>();
    try (Connection connection = connect(target, target.database());
        Statement statement = connection.createStatement()) {
      Set<String> existing = new HashSet<>();
      try (ResultSet rows = statement.executeQuery("SELECT rolname FROM pg_roles")) {
        while (rows.next()) {
          existing.add(rows.getString(1));
        }
      }
      for (PgRoles.Role role : roles.roles()) {
        if (existing.contains(role.name())) {
          continue;
        }
        try {
          statement.execute(createRole(role, freshCluster));
        } catch (SQLException e) {
          if (freshCluster || !SqlErrors.permissionDenied(e)) {
            throw e;
          }
          log.warn(
              "restore target {}: user '{}' may not create roles ({}); the backup's roles that"
                  + " are missing there are not created",
              target.describe(),
              target.user(),
              SqlErrors.serverMessage(e));
          return created;
        }
        created.add(role.name());
      }
      for (PgRoles.Membership membership : roles.memberships()) {
        boolean grantedRoleAllowed =
            created.contains(membership.role())
                || (freshCluster && existing.contains(membership.role()));
        if (created.contains(membership.member()) && grantedRoleAllowed) {
          statement.execute(
              "GRANT "
                  + quote(membership.role())
                  + " TO "
                  + quote(membership.member())
                  + (membership.admin() ? " WITH ADMIN OPTION" : ""));
        }
      }
    } catch (SQLException e) {
      throw failure(e, target, "creating the backup's roles in");
    }
    if (!created.isEmpty()) {
      log.info("restore target {}: created roles {}", target.describe(), created);
    }
    return created;
  }

  private static String createRole(PgRoles.Role role, boolean freshCluster) {
    StringBuilder sql = new StringBuilder("CREATE ROLE ").append(quote(role.name()));
    sql.append(role.inherit() ? " INHERIT" : " NOINHERIT");
    if (!freshCluster) {
      return sql.append(" NOLOGIN").toString();
    }
    sql.append(role.login() ? " LOGIN" : " NOLOGIN");
    sql.append(role.createDb() ? " CREATEDB" : " NOCREATEDB");
    sql.append(role.createRole() ? " CREATEROLE" : " NOCREATEROLE");
    if (role.connectionLimit() >= 0) {
      sql.append(" CONNECTION LIMIT ").append(role.connectionLimit());
    }
    return sql.toString();
  }

  /** Which of the archive's sections a pg_restore run restores. */
  public enum Sections {
    /** Everything. */
    ALL(List.of()),
    /** Tables and other definitions, then the rows, sequence values and large objects. */
    PRE_DATA_AND_DATA(List.of("--section=pre-data", "--section=data")),
    /** Indexes, constraints other than validated CHECKs, triggers, rules, matview refreshes. */
    POST_DATA(List.of("--section=post-data"));

    private final List<String> options;

    Sections(List<String> options) {
      this.options = options;
    }
  }

  /**
   * Runs {@code pg_restore -j jobs} of {@code dumpFile} into the target. Objects are owned by the
   * restoring user ({@code --no-owner}); the first error stops the restore.
   *
   * @param clean drop the backup's objects (of these sections) first ({@code --clean --if-exists})
   * @param heartbeat runs every 2 s while pg_restore works; if it throws, pg_restore is stopped
   */
  public void restore(
      Database target,
      Path dumpFile,
      int jobs,
      boolean clean,
      Sections sections,
      Runnable heartbeat) {
    List<String> command =
        command(target, sections, List.of("-j", Integer.toString(jobs)), clean, dumpFile);
    PgTools.ProcessOutcome outcome;
    try {
      outcome = tools.run(command, environment(target), null, HEARTBEAT_EVERY, heartbeat);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CancellationException("pg_restore into " + target.describe() + " was stopped");
    } catch (UncheckedIOException e) {
      throw cannotRun(e);
    }
    requireSuccess(outcome, target);
  }

  /**
   * Starts {@code pg_restore} of the pre-data and data sections of an archive the caller writes to
   * the returned process's standard input, in one session: the tables are created and filled as the
   * archive arrives. {@link #restore} with {@link Sections#POST_DATA} finishes it from the whole
   * file.
   */
  public PgTools.Piped startLoad(Database target) {
    try {
      return tools.startPiped(
          command(target, Sections.PRE_DATA_AND_DATA, List.of(), false, null), environment(target));
    } catch (UncheckedIOException e) {
      throw cannotRun(e);
    }
  }

  /** RESTORE_FAILED (or a more precise type) naming the target if pg_restore did not exit 0. */
  public void requireSuccess(PgTools.ProcessOutcome outcome, Database target) {
    if (outcome.exitCode() == 0) {
      return;
    }
    String stderr = outcome.stderrTail();
    String reason = redact(SqlErrors.condense(stderr), target.password());
    ErrorType type;
    if (SqlErrors.permissionDenied(stderr)) {
      type = ErrorType.DATABASE_PERMISSION_DENIED;
    } else if (stderr.contains("could not connect") || stderr.contains("Connection refused")) {
      type = ErrorType.SOURCE_UNREACHABLE;
    } else {
      type = ErrorType.RESTORE_FAILED;
    }
    throw new VigilException(
        type,
        "pg_restore into "
            + target.describe()
            + " failed (exit "
            + outcome.exitCode()
            + "): "
            + reason);
  }

  /** pg_restore's command line; {@code dumpFile} null reads standard input. */
  private List<String> command(
      Database target, Sections sections, List<String> jobs, boolean clean, Path dumpFile) {
    List<String> command = new ArrayList<>();
    command.add(tools.pgRestore());
    command.addAll(List.of("--no-owner", "--exit-on-error"));
    command.addAll(jobs);
    command.addAll(sections.options);
    if (clean) {
      command.addAll(List.of("--clean", "--if-exists"));
    }
    command.addAll(
        List.of(
            "-h",
            target.host(),
            "-p",
            Integer.toString(target.port()),
            "-U",
            target.user(),
            "-d",
            target.database()));
    if (dumpFile != null) {
      command.add(dumpFile.toString());
    }
    return command;
  }

  private static Map<String, String> environment(Database target) {
    Map<String, String> environment = new HashMap<>();
    environment.put("PGPASSWORD", target.password());
    environment.put("PGCONNECT_TIMEOUT", Integer.toString(CONNECT_TIMEOUT_SECONDS));
    environment.put("PGAPPNAME", "vigil-restore");
    return environment;
  }

  private static VigilException cannotRun(UncheckedIOException e) {
    return new VigilException(
        ErrorType.RESTORE_FAILED,
        "cannot run pg_restore ("
            + e.getMessage()
            + "); install PostgreSQL's client tools on the worker host",
        e);
  }

  /**
   * Checks every table's row count against the backup's and runs the validation queries (read
   * only). Each passing check and each failure is one line.
   */
  public ValidationResult validate(
      Database target, List<BackupManifest.TableCount> tables, List<ValidationConfig> queries) {
    List<String> checks = new ArrayList<>();
    List<String> failures = new ArrayList<>();
    try (Connection connection = connect(target, target.database());
        Statement statement = connection.createStatement()) {
      connection.setReadOnly(true);
      statement.execute("SET statement_timeout = '15min'");
      long rows = 0;
      int matching = 0;
      for (BackupManifest.TableCount table : tables) {
        try (ResultSet count =
            statement.executeQuery(
                "SELECT count(*) FROM ONLY "
                    + quote(table.schema())
                    + "."
                    + quote(table.table()))) {
          count.next();
          long actual = count.getLong(1);
          if (actual == table.rows()) {
            matching++;
            rows += actual;
            checks.add(table.name() + ": " + actual + " rows as recorded");
          } else {
            failures.add(
                table.name() + ": " + actual + " rows, the backup recorded " + table.rows());
          }
        } catch (SQLException e) {
          failures.add(table.name() + ": cannot count rows (" + message(e) + ")");
        }
      }
      if (!tables.isEmpty() && matching == tables.size()) {
        checks.add(0, "row counts: all " + matching + " tables, " + rows + " rows, as recorded");
      }
      for (ValidationConfig validation : queries) {
        try (ResultSet row = statement.executeQuery(validation.query())) {
          if (!row.next()) {
            failures.add(validation.name() + ": the query returned no row");
            continue;
          }
          BigDecimal value = row.getBigDecimal(1);
          if (value == null) {
            failures.add(validation.name() + ": the query returned NULL");
          } else if (validation.accepts(value)) {
            checks.add(
                validation.name()
                    + ": "
                    + value.toPlainString()
                    + " ("
                    + validation.expect()
                    + ")");
          } else {
            failures.add(
                validation.name()
                    + ": got "
                    + value.toPlainString()
                    + ", expected "
                    + validation.expect());
          }
        } catch (SQLException e) {
          failures.add(validation.name() + ": the query failed (" + message(e) + ")");
        }
      }
    } catch (SQLException e) {
      throw failure(e, target, "validating");
    }
    return new ValidationResult(failures.isEmpty(), List.copyOf(checks), List.copyOf(failures));
  }

  private Connection connect(Database target, String database) throws SQLException {
    PGSimpleDataSource dataSource = new PGSimpleDataSource();
    dataSource.setServerNames(new String[] {target.host()});
    dataSource.setPortNumbers(new int[] {target.port()});
    dataSource.setDatabaseName(database);
    dataSource.setUser(target.user());
    if (target.password() != null) {
      dataSource.setPassword(target.password());
    }
    dataSource.setConnectTimeout(CONNECT_TIMEOUT_SECONDS);
    dataSource.setLoginTimeout(CONNECT_TIMEOUT_SECONDS);
    dataSource.setApplicationName("vigil-restore");
    return dataSource.getConnection();
  }

  private static VigilException failure(SQLException error, Database target, String action) {
    String state = Objects.requireNonNullElse(error.getSQLState(), "");
    String message = redact(message(error), target.password());
    if (state.equals("28P01") || state.equals("28000") || state.equals("08004")) {
      return new VigilException(
          ErrorType.AUTHENTICATION_FAILED,
          "restore target PostgreSQL at "
              + target.host()
              + ":"
              + target.port()
              + " refused user '"
              + target.user()
              + "' ("
              + message
              + "); check the target's user and password file",
          error);
    }
    if (state.equals(SqlErrors.INSUFFICIENT_PRIVILEGE)) {
      return new VigilException(
          ErrorType.DATABASE_PERMISSION_DENIED,
          action
              + " restore target "
              + target.describe()
              + " as user '"
              + target.user()
              + "' was refused ("
              + message
              + "); grant the user the privilege or restore into a fresh cluster",
          error);
    }
    if (state.startsWith("08") || state.equals("57P03") || state.equals("53300")) {
      return new VigilException(
          ErrorType.SOURCE_UNREACHABLE,
          "cannot connect to the restore target PostgreSQL at "
              + target.host()
              + ":"
              + target.port()
              + " ("
              + Objects.requireNonNullElse(SqlErrors.unreachableReason(error), message)
              + "); check that it is running",
          error);
    }
    return new VigilException(
        ErrorType.RESTORE_FAILED,
        action
            + " restore target "
            + target.describe()
            + " failed (SQLState "
            + state
            + "): "
            + message,
        error);
  }

  private static String message(SQLException error) {
    return SqlErrors.serverMessage(error);
  }

  private static String redact(String text, String password) {
    return password == null || password.length() < 4 ? text : text.replace(password, "****");
  }

  static String quote(String identifier) {
    return "\"" + identifier.replace("\"", "\"\"") + "\"";
  }
}
