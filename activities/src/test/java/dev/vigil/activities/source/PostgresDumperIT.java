package dev.vigil.activities.source;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.vigil.activities.common.Json;
import dev.vigil.activities.common.VigilException;
import dev.vigil.activities.config.Objectives;
import dev.vigil.activities.config.PostgresSourceConfig;
import dev.vigil.activities.config.SecretRef;
import dev.vigil.activities.embedded.FreePorts;
import dev.vigil.activities.testing.PostgresFixture;
import dev.vigil.workflows.common.ErrorType;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** pg_dump against a real PostgreSQL: snapshot consistency, row counts and every failure kind. */
final class PostgresDumperIT {
  private static final int ORDER_LINES = 50_000;
  private static final int CUSTOMERS = 1_234;

  private static PostgresFixture postgres;
  private static String seeded;

  @TempDir Path spool;

  private final PgTools tools = PgTools.locate();
  private final PostgresDumper dumper = new PostgresDumper(tools);

  @BeforeAll
  static void seedDatabase() {
    postgres = PostgresFixture.get();
    seeded = postgres.createDatabase();
    postgres.execute(
        seeded,
        "CREATE SCHEMA sales",
        "CREATE TABLE sales.\"Order Lines\" (id bigint PRIMARY KEY, sku text, quantity int)",
        "INSERT INTO sales.\"Order Lines\" SELECT g, 'sku-' || g, g % 7 FROM generate_series(1, "
            + ORDER_LINES
            + ") g",
        "CREATE TABLE customers (id serial PRIMARY KEY, name text)",
        "INSERT INTO customers (name) SELECT 'customer ' || g FROM generate_series(1, "
            + CUSTOMERS
            + ") g",
        "CREATE TABLE empty_table (id int)",
        "CREATE TABLE readings (id int, taken date) PARTITION BY RANGE (taken)",
        "CREATE TABLE readings_2025 PARTITION OF readings"
            + " FOR VALUES FROM ('2025-01-01') TO ('2026-01-01')",
        "CREATE TABLE readings_2026 PARTITION OF readings"
            + " FOR VALUES FROM ('2026-01-01') TO ('2027-01-01')",
        "INSERT INTO readings SELECT g, DATE '2025-06-01' + (g % 400) FROM generate_series(1, 800)"
            + " g",
        "CREATE VIEW customer_names AS SELECT name FROM customers");
  }

  @Test
  void dumpsSeededDatabaseWithRowCountsTakenInItsSnapshot() throws Exception {
    List<Long> progress = new CopyOnWriteArrayList<>();
    Instant before = Instant.now();

    PgDump dump = dumper.dump(source(seeded), postgres.password(), spool, progress::add);

    Instant after = Instant.now();
    assertThat(dump.dumpFile()).isEqualTo(spool.resolve(PostgresDumper.DUMP_FILE));
    assertThat(dump.bytes()).isEqualTo(Files.size(dump.dumpFile())).isGreaterThan(ORDER_LINES);
    assertThat(progress).isNotEmpty().last().isEqualTo(dump.bytes());
    // Leaf tables only: the partitioned parent's rows are its partitions' rows.
    assertThat(dump.tables()).isEqualTo(5);
    assertThat(dump.totalRows()).isEqualTo(ORDER_LINES + CUSTOMERS + 800);
    assertThat(dump.consistentAt()).isBetween(before.minusSeconds(5), after.plusSeconds(5));
    assertThat(dump.pgDumpVersion()).startsWith("pg_dump (PostgreSQL) ");
    assertThat(dump.serverVersion()).matches("\\d+\\.\\d+.*");

    assertThat(tableRows(spool))
        .containsExactly(
            Map.of("schema", "public", "table", "customers", "rows", CUSTOMERS),
            Map.of("schema", "public", "table", "empty_table", "rows", 0),
            Map.of("schema", "public", "table", "readings_2025", "rows", 428),
            Map.of("schema", "public", "table", "readings_2026", "rows", 372),
            Map.of("schema", "sales", "table", "Order Lines", "rows", ORDER_LINES));
    assertThat(dumper.listEntries(dump.dumpFile())).isGreaterThanOrEqualTo(10);
  }

  @Test
  void rowsCommittedAfterTheSnapshotAreNeitherCountedNorDumped() throws Exception {
    String database = postgres.createDatabase();
    postgres.execute(
        database,
        "CREATE TABLE events (id bigserial PRIMARY KEY, payload text)",
        "INSERT INTO events (payload) SELECT 'before ' || g FROM generate_series(1, 2000) g");
    PostgresDumper dumperWithLateWriter =
        new PostgresDumper(
            tools,
            PgTools.defaultPgpassFile(),
            () ->
                postgres.execute(
                    database,
                    "INSERT INTO events (payload) SELECT 'late ' || g"
                        + " FROM generate_series(1, 500) g"));

    PgDump dump =
        dumperWithLateWriter.dump(source(database), postgres.password(), spool, bytes -> {});

    assertThat(postgres.queryLong(database, "SELECT count(*) FROM events")).isEqualTo(2500);
    assertThat(dump.totalRows()).isEqualTo(2000);
    assertThat(tableRows(spool))
        .containsExactly(Map.of("schema", "public", "table", "events", "rows", 2000));
    String restored = postgres.createDatabase();
    restore(dump.dumpFile(), restored);
    assertThat(postgres.queryLong(restored, "SELECT count(*) FROM events")).isEqualTo(2000);
  }

  @Test
  void passwordFromPgpassIsUsedWhenNoneIsGiven(@TempDir Path home) throws Exception {
    Path pgpass =
        writePgpass(
            home,
            "# Vigil test\n"
                + "otherhost:*:*:*:not-this-one\n"
                + postgres.cluster().host()
                + ":"
                + postgres.cluster().port()
                + ":*:"
                + postgres.superuser()
                + ":"
                + postgres.password()
                + "\n");
    PostgresDumper pgpassDumper = new PostgresDumper(tools, pgpass);

    PgDump dump = pgpassDumper.dump(source(seeded), null, spool, bytes -> {});

    assertThat(dump.totalRows()).isEqualTo(ORDER_LINES + CUSTOMERS + 800);
  }

  @Test
  void missingPasswordWithoutPgpassLineFailsAsAuthenticationFailedNamingTheFile(@TempDir Path home)
      throws Exception {
    Path pgpass = writePgpass(home, "otherhost:*:*:*:not-this-one\n");
    PostgresDumper pgpassDumper = new PostgresDumper(tools, pgpass);

    assertThatThrownBy(() -> pgpassDumper.dump(source(seeded), null, spool, bytes -> {}))
        .isInstanceOfSatisfying(
            VigilException.class,
            e -> {
              assertThat(e.type()).isEqualTo(ErrorType.AUTHENTICATION_FAILED);
              assertThat(e.getMessage())
                  .contains("source 'appdb'", "no matching line in " + pgpass)
                  .doesNotContain("not-this-one");
            });
  }

  @Test
  void pgpassLookupFollowsLibpqWildcardsEscapesAndPermissions(@TempDir Path home) throws Exception {
    Path pgpass =
        writePgpass(
            home,
            "# comment:*:*:*:no\n"
                + "db.example:5432:app:bob:first\n"
                + "db.example:*:*:al\\:ice:p\\:w\\\\d:ignored\n"
                + "*:*:*:*:fallback\n");

    assertThat(PgTools.pgpassPassword(pgpass, "db.example", 5432, "app", "bob")).hasValue("first");
    assertThat(PgTools.pgpassPassword(pgpass, "db.example", 6543, "other", "al:ice"))
        .hasValue("p:w\\d");
    assertThat(PgTools.pgpassPassword(pgpass, "elsewhere", 5432, "app", "bob"))
        .hasValue("fallback");
    Files.setPosixFilePermissions(pgpass, PosixFilePermissions.fromString("rw-r--r--"));
    assertThat(PgTools.pgpassPassword(pgpass, "db.example", 5432, "app", "bob")).isEmpty();
  }

  @Test
  void unreachablePortFailsAsSourceUnreachableNamingHostAndPort() {
    int closedPort = FreePorts.find();
    PostgresSourceConfig source =
        new PostgresSourceConfig(
            "appdb",
            "test-repo",
            "127.0.0.1",
            closedPort,
            seeded,
            postgres.superuser(),
            SecretRef.NONE,
            "zstd",
            Objectives.NONE);

    assertThatThrownBy(() -> dumper.dump(source, "irrelevant", spool, bytes -> {}))
        .isInstanceOfSatisfying(
            VigilException.class,
            e -> {
              assertThat(e.type()).isEqualTo(ErrorType.SOURCE_UNREACHABLE);
              assertThat(e.getMessage())
                  .isEqualTo(
                      "source 'appdb': cannot connect to PostgreSQL at 127.0.0.1:"
                          + closedPort
                          + " (connection refused); check sources.appdb.host/port and that the"
                          + " server is running");
            });
  }

  @Test
  void wrongPasswordFailsAsAuthenticationFailedWithoutRevealingIt() {
    String wrongPassword = "wrong-secret-4711";

    assertThatThrownBy(() -> dumper.dump(source(seeded), wrongPassword, spool, bytes -> {}))
        .isInstanceOfSatisfying(
            VigilException.class,
            e -> {
              assertThat(e.type()).isEqualTo(ErrorType.AUTHENTICATION_FAILED);
              assertThat(e.getMessage())
                  .contains(
                      "source 'appdb'",
                      postgres.cluster().host() + ":" + postgres.cluster().port(),
                      "user '" + postgres.superuser() + "'",
                      "password from file " + postgres.passwordFile())
                  .doesNotContain(wrongPassword)
                  .doesNotContain(postgres.password());
            });
    assertThat(spool.resolve(PostgresDumper.DUMP_FILE)).doesNotExist();
  }

  @Test
  void theClustersRolesAreRecordedWithTheDumpWithoutPasswords() throws Exception {
    String database = postgres.createDatabase();
    String reader = "app_reader_" + ProcessHandle.current().pid();
    String analyst = "app_analyst_" + ProcessHandle.current().pid();
    String password = "analyst-secret-" + ProcessHandle.current().pid();
    postgres.execute(
        database,
        "CREATE TABLE customers (id serial PRIMARY KEY, name text)",
        "CREATE ROLE " + reader + " NOLOGIN",
        "CREATE ROLE " + analyst + " LOGIN CONNECTION LIMIT 3 PASSWORD '" + password + "'",
        "GRANT " + reader + " TO " + analyst,
        "GRANT SELECT ON customers TO " + reader);

    dumper.dump(source(database), postgres.password(), spool, bytes -> {});

    Path rolesFile = spool.resolve(PostgresDumper.ROLES_FILE);
    PgRoles roles = Json.MAPPER.readValue(rolesFile.toFile(), PgRoles.class);
    assertThat(roles.roles())
        .contains(
            new PgRoles.Role(reader, false, true, false, false, -1),
            new PgRoles.Role(analyst, true, true, false, false, 3))
        .noneMatch(role -> role.name().startsWith("pg_"));
    assertThat(roles.memberships()).contains(new PgRoles.Membership(reader, analyst, false));
    assertThat(Files.readString(rolesFile)).doesNotContain(password).doesNotContain("SCRAM");
  }

  @Test
  void aNonSuperuserWithPgReadAllDataBacksUpEverythingAndTheRoles() throws Exception {
    String role = "vigil_reader_" + ProcessHandle.current().pid();
    String password = "reader-secret-" + ProcessHandle.current().pid();
    postgres.execute(
        seeded,
        "CREATE ROLE " + role + " LOGIN NOSUPERUSER PASSWORD '" + password + "'",
        "GRANT pg_read_all_data TO " + role);

    PgDump dump = dumper.dump(asRole(seeded, role), password, spool, bytes -> {});

    assertThat(dump.totalRows()).isEqualTo(ORDER_LINES + CUSTOMERS + 800);
    PgRoles roles =
        Json.MAPPER.readValue(spool.resolve(PostgresDumper.ROLES_FILE).toFile(), PgRoles.class);
    assertThat(roles.memberships())
        .contains(new PgRoles.Membership("pg_read_all_data", role, false));
  }

  @Test
  void roleThatMayNotReadASequenceFailsAsPermissionDeniedNamingItOnOneLine() {
    String password = "limited-secret-" + ProcessHandle.current().pid();
    String role = "vigil_no_seq_" + ProcessHandle.current().pid();
    postgres.execute(
        seeded,
        "CREATE ROLE " + role + " LOGIN PASSWORD '" + password + "'",
        "GRANT USAGE ON SCHEMA sales TO " + role,
        "GRANT SELECT ON ALL TABLES IN SCHEMA public, sales TO " + role);
    PostgresSourceConfig source = asRole(seeded, role);

    assertPermissionDenied(
        () -> dumper.dump(source, password, spool, bytes -> {}),
        password,
        "source 'appdb': user '" + role + "' may not read everything in database",
        "pg_dump: error: query failed: ERROR: permission denied for sequence customers_id_seq;"
            + " pg_dump: detail: Query was: SELECT last_value, is_called FROM"
            + " public.customers_id_seq",
        "pg_read_all_data");
  }

  @Test
  void roleThatMayNotReadATableFailsAsPermissionDeniedNamingTheTable() {
    String database = postgres.createDatabase();
    String password = "limited-secret-" + ProcessHandle.current().pid();
    String role = "vigil_no_table_" + ProcessHandle.current().pid();
    postgres.execute(
        database,
        "CREATE TABLE notes (id int PRIMARY KEY, body text)",
        "INSERT INTO notes SELECT g, 'note ' || g FROM generate_series(1, 100) g",
        "CREATE TABLE payroll (id int PRIMARY KEY, salary numeric)",
        "INSERT INTO payroll SELECT g, g * 1000 FROM generate_series(1, 100) g",
        "CREATE ROLE " + role + " LOGIN PASSWORD '" + password + "'",
        "GRANT SELECT ON notes TO " + role);

    assertPermissionDenied(
        () -> dumper.dump(asRole(database, role), password, spool, bytes -> {}),
        password,
        "user '" + role + "' may not read everything",
        "permission denied for table payroll");
  }

  /** One line, naming what was refused, not retryable, and no password in it. */
  private static void assertPermissionDenied(
      ThrowingCallable dump, String password, String... expected) {
    assertThatThrownBy(dump)
        .isInstanceOfSatisfying(
            VigilException.class,
            e -> {
              assertThat(e.type())
                  .as(e.getMessage())
                  .isEqualTo(ErrorType.DATABASE_PERMISSION_DENIED);
              assertThat(e.type().retryable()).isFalse();
              assertThat(e.getMessage())
                  .contains(expected)
                  .doesNotContain("\n")
                  .doesNotContain(password)
                  .doesNotContain(postgres.password());
            });
  }

  @Test
  void unknownDatabaseFailsAsSourceNotFound() {
    assertThatThrownBy(
            () -> dumper.dump(source("no_such_db"), postgres.password(), spool, bytes -> {}))
        .isInstanceOfSatisfying(
            VigilException.class,
            e -> {
              assertThat(e.type()).isEqualTo(ErrorType.SOURCE_NOT_FOUND);
              assertThat(e.getMessage())
                  .contains("database 'no_such_db' does not exist", "sources.appdb.database");
            });
  }

  @Test
  void fullSpoolFailsAsSpoolFullNamingTheSpool() throws Exception {
    Path devFull = Path.of("/dev/full");
    assumeThat(Files.isWritable(devFull)).as("/dev/full is available").isTrue();
    // pg_dump follows the link, and every write to /dev/full fails with ENOSPC.
    Files.createSymbolicLink(spool.resolve(PostgresDumper.DUMP_FILE), devFull);

    assertThatThrownBy(() -> dumper.dump(source(seeded), postgres.password(), spool, bytes -> {}))
        .isInstanceOfSatisfying(
            VigilException.class,
            e -> {
              assertThat(e.type()).isEqualTo(ErrorType.SPOOL_FULL);
              assertThat(e.getMessage())
                  .contains("source 'appdb'", "spool " + spool, "No space left on device");
            });
  }

  @Test
  void corruptDumpFileIsRejectedAsDumpInvalid() throws Exception {
    Path corrupt = spool.resolve("corrupt.pgc");
    Files.writeString(corrupt, "this is not a pg_dump archive\n".repeat(100));

    assertThatThrownBy(() -> dumper.listEntries(corrupt))
        .isInstanceOfSatisfying(
            VigilException.class,
            e -> {
              assertThat(e.type()).isEqualTo(ErrorType.DUMP_INVALID);
              assertThat(e.getMessage()).contains(corrupt.toString(), "pg_restore");
            });
  }

  @Test
  void truncatedDumpFileIsRejectedAsDumpInvalid() throws Exception {
    PgDump dump = dumper.dump(source(seeded), postgres.password(), spool, bytes -> {});
    Path truncated = spool.resolve("truncated.pgc");
    byte[] head = new byte[64];
    System.arraycopy(Files.readAllBytes(dump.dumpFile()), 0, head, 0, head.length);
    Files.write(truncated, head);

    assertThatThrownBy(() -> dumper.listEntries(truncated))
        .isInstanceOfSatisfying(
            VigilException.class, e -> assertThat(e.type()).isEqualTo(ErrorType.DUMP_INVALID));
  }

  @Test
  void missingDumpFileIsReportedAsSpoolMissing() {
    Path missing = spool.resolve("gone.pgc");

    assertThatThrownBy(() -> dumper.listEntries(missing))
        .isInstanceOfSatisfying(
            VigilException.class,
            e -> {
              assertThat(e.type()).isEqualTo(ErrorType.SPOOL_MISSING);
              assertThat(e.getMessage()).contains(missing.toString());
            });
  }

  @Test
  void processRunKeepsOnlyTheTailOfStderr() throws Exception {
    PgTools.ProcessOutcome outcome =
        tools.run(
            List.of("sh", "-c", "for i in $(seq 1 5000); do echo line $i >&2; done; exit 3"),
            Map.of(),
            null,
            Duration.ofMillis(100),
            () -> {});

    assertThat(outcome.exitCode()).isEqualTo(3);
    assertThat(outcome.stderrTail().length()).isLessThanOrEqualTo(4096);
    assertThat(outcome.lastStderrLine()).isEqualTo("line 5000");
  }

  @Test
  void processRunPassesSecretsThroughTheEnvironmentOnly() throws Exception {
    List<String> stdout = new ArrayList<>();
    Map<String, String> environment = new HashMap<>();
    environment.put("PGPASSWORD", "from-env");
    // A null value removes an inherited variable.
    environment.put("HOME", null);

    PgTools.ProcessOutcome outcome =
        tools.run(
            List.of("sh", "-c", "echo \"$PGPASSWORD\"; echo \"${HOME-unset}\""),
            environment,
            stdout::add,
            Duration.ofMillis(100),
            () -> {});

    assertThat(outcome.exitCode()).isZero();
    assertThat(stdout).containsExactly("from-env", "unset");
  }

  @Test
  void processRunDestroysTheChildWhenTheProgressCallbackThrows() {
    long started = System.nanoTime();

    assertThatThrownBy(
            () ->
                tools.run(
                    List.of("sleep", "60"),
                    Map.of(),
                    null,
                    Duration.ofMillis(100),
                    () -> {
                      throw new IllegalStateException("activity cancelled");
                    }))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("activity cancelled");
    assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(10));
  }

  @Test
  void processRunDestroysTheChildWhenTheCallerIsInterrupted() throws Exception {
    AtomicReference<Throwable> thrown = new AtomicReference<>();
    Thread caller =
        new Thread(
            () -> {
              try {
                tools.run(List.of("sleep", "60"), Map.of(), null, Duration.ofMillis(100), () -> {});
              } catch (Throwable e) {
                thrown.set(e);
              }
            });
    caller.start();
    Thread.sleep(300);

    caller.interrupt();
    caller.join(Duration.ofSeconds(10).toMillis());

    assertThat(caller.isAlive()).isFalse();
    assertThat(thrown.get()).isInstanceOf(InterruptedException.class);
  }

  private static PostgresSourceConfig asRole(String database, String role) {
    return new PostgresSourceConfig(
        "appdb",
        "test-repo",
        postgres.cluster().host(),
        postgres.cluster().port(),
        database,
        role,
        SecretRef.NONE,
        "zstd",
        Objectives.NONE);
  }

  private PostgresSourceConfig source(String database) {
    return postgres.sourceConfig("appdb", database);
  }

  private static List<Map<String, Object>> tableRows(Path spoolDir) throws Exception {
    return Json.MAPPER.readValue(
        spoolDir.resolve(PostgresDumper.TABLES_FILE).toFile(), new TypeReference<>() {});
  }

  private static Path writePgpass(Path dir, String content) throws Exception {
    Path pgpass = dir.resolve(".pgpass");
    Files.writeString(pgpass, content, StandardCharsets.UTF_8);
    Files.setPosixFilePermissions(pgpass, PosixFilePermissions.fromString("rw-------"));
    return pgpass;
  }

  private void restore(Path dumpFile, String database) throws Exception {
    PgTools.ProcessOutcome outcome =
        tools.run(
            List.of(
                tools.pgRestore(),
                "--no-owner",
                "--exit-on-error",
                "-h",
                postgres.cluster().host(),
                "-p",
                Integer.toString(postgres.cluster().port()),
                "-U",
                postgres.superuser(),
                "-d",
                database,
                dumpFile.toString()),
            Map.of("PGPASSWORD", postgres.password()),
            null,
            Duration.ofSeconds(1),
            () -> {});
    assertThat(outcome.exitCode()).as(outcome.stderrTail()).isZero();
  }
}
