package dev.vigil.activities.restore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vigil.activities.common.VigilException;
import dev.vigil.activities.source.PgRoles;
import dev.vigil.activities.source.PgRoles.Membership;
import dev.vigil.activities.source.PgRoles.Role;
import dev.vigil.activities.source.PgTools;
import dev.vigil.activities.testing.PostgresFixture;
import dev.vigil.workflows.common.ErrorType;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * pg_restore and the backup's roles against a real cluster: roles created on a server Vigil did not
 * start (a {@code --target-db} restore, a drill's database target) are only the missing ones,
 * NOLOGIN, and never a change to an existing role; a refused pg_restore says why on one line.
 */
final class PostgresRestorerIT {
  private final PostgresFixture postgres = PostgresFixture.get();
  private final PostgresRestorer restorer = new PostgresRestorer(PgTools.locate());

  @Test
  void onAnExistingServerOnlyMissingRolesAreCreatedNologinAndExistingOnesAreLeftAlone() {
    String suffix = "_" + ProcessHandle.current().pid();
    String existing = "existing_team" + suffix;
    String reader = "new_reader" + suffix;
    String analyst = "new \"analyst\"" + suffix;
    String database = postgres.createDatabase();
    postgres.execute(database, "CREATE ROLE " + existing + " NOLOGIN NOCREATEDB");
    PgRoles recorded =
        new PgRoles(
            List.of(
                // Recorded with LOGIN and CREATEDB in the source; here it exists and stays as is.
                new Role(existing, true, true, true, false, -1),
                new Role(reader, false, true, false, false, -1),
                new Role(analyst, true, true, true, true, 2)),
            List.of(
                new Membership(reader, analyst, false),
                new Membership(existing, analyst, false),
                new Membership("pg_read_all_data", reader, false)));
    PostgresRestorer.Database target =
        new PostgresRestorer.Database(
            postgres.cluster().host(),
            postgres.cluster().port(),
            database,
            postgres.superuser(),
            postgres.password());

    List<String> created = restorer.createRoles(target, recorded, false);
    List<String> again = restorer.createRoles(target, recorded, false);

    assertThat(created).containsExactly(reader, analyst);
    assertThat(again).isEmpty();
    String analystLiteral = "'" + analyst.replace("'", "''") + "'";
    assertThat(
            count(database, "rolname = '" + existing + "' AND NOT rolcanlogin AND NOT rolcreatedb"))
        .as("the existing role is not altered")
        .isEqualTo(1);
    assertThat(
            count(
                database,
                "rolname IN ('"
                    + reader
                    + "', "
                    + analystLiteral
                    + ") AND NOT rolcanlogin"
                    + " AND NOT rolcreatedb AND NOT rolcreaterole AND NOT rolsuper"))
        .as("missing roles are created NOLOGIN, without attributes")
        .isEqualTo(2);
    assertThat(member(database, analystLiteral, "'" + reader + "'"))
        .as("membership among the new roles")
        .isTrue();
    assertThat(member(database, analystLiteral, "'" + existing + "'"))
        .as("no existing role is widened")
        .isFalse();
    assertThat(member(database, "'" + reader + "'", "'pg_read_all_data'")).isFalse();
  }

  @Test
  void inAFreshClusterRolesKeepTheirRecordedAttributesAndMemberships() {
    String suffix = "_fresh_" + ProcessHandle.current().pid();
    String reader = "reader" + suffix;
    String analyst = "analyst" + suffix;
    String database = postgres.createDatabase();
    PgRoles recorded =
        new PgRoles(
            List.of(
                new Role(reader, false, true, false, false, -1),
                new Role(analyst, true, false, true, false, 4)),
            List.of(
                new Membership(reader, analyst, true),
                new Membership("pg_read_all_data", reader, false)));

    restorer.createRoles(
        new PostgresRestorer.Database(
            postgres.cluster().host(),
            postgres.cluster().port(),
            database,
            postgres.superuser(),
            postgres.password()),
        recorded,
        true);

    assertThat(
            count(
                database,
                "rolname = '"
                    + analyst
                    + "' AND rolcanlogin AND NOT rolinherit AND rolcreatedb AND rolconnlimit = 4"
                    + " AND NOT rolsuper AND rolpassword IS NULL"))
        .isEqualTo(1);
    assertThat(member(database, "'" + analyst + "'", "'" + reader + "'")).isTrue();
    assertThat(member(database, "'" + reader + "'", "'pg_read_all_data'")).isTrue();
  }

  @Test
  void pgRestoreRefusedForLackOfAPrivilegeIsPermissionDeniedNamingTheSchema(@TempDir Path dir)
      throws Exception {
    String source = postgres.createDatabase();
    postgres.execute(source, "CREATE TABLE orders (id int PRIMARY KEY)");
    Path dump = dir.resolve("orders.pgc");
    PgTools tools = PgTools.locate();
    PgTools.ProcessOutcome dumped =
        tools.run(
            List.of(
                tools.pgDump(),
                "-Fc",
                "-h",
                postgres.cluster().host(),
                "-p",
                Integer.toString(postgres.cluster().port()),
                "-U",
                postgres.superuser(),
                "-d",
                source,
                "-f",
                dump.toString()),
            Map.of("PGPASSWORD", postgres.password()),
            null,
            Duration.ofSeconds(1),
            () -> {});
    assertThat(dumped.exitCode()).as(dumped.stderrTail()).isZero();
    String role = "restorer_" + ProcessHandle.current().pid();
    String password = "restorer-secret-" + ProcessHandle.current().pid();
    String target = postgres.createDatabase();
    // PostgreSQL 15: only the database owner may create in schema public.
    postgres.execute(target, "CREATE ROLE " + role + " LOGIN PASSWORD '" + password + "'");

    assertThatThrownBy(
            () ->
                restorer.restore(
                    new PostgresRestorer.Database(
                        postgres.cluster().host(),
                        postgres.cluster().port(),
                        target,
                        role,
                        password),
                    dump,
                    1,
                    false,
                    PostgresRestorer.Sections.ALL,
                    () -> {}))
        .isInstanceOfSatisfying(
            VigilException.class,
            e -> {
              assertThat(e.type())
                  .as(e.getMessage())
                  .isEqualTo(ErrorType.DATABASE_PERMISSION_DENIED);
              assertThat(e.getMessage())
                  .contains(
                      "pg_restore into database '" + target + "'",
                      "ERROR: permission denied for schema public",
                      "Command was: CREATE TABLE public.orders")
                  .doesNotContain("\n")
                  .doesNotContain(password);
            });
  }

  /**
   * What a restore that loads during the download does: pre-data and data read from a pipe in one
   * session, then post-data with {@code -j 2} from the whole file. The result must be exactly what
   * one {@code pg_restore -j 2} of the file gives: same schema (indexes, constraints, triggers,
   * views, grants, comments) and same data (rows, sequence values, large objects, a materialized
   * view's rows).
   */
  @Test
  void preDataAndDataFromAPipeThenPostDataEqualsOneWholeRestore(@TempDir Path dir)
      throws Exception {
    String source = postgres.createDatabase();
    String reader = "split_reader_" + ProcessHandle.current().pid();
    postgres.execute(
        source,
        "CREATE ROLE " + reader + " NOLOGIN",
        "CREATE TABLE customers (id serial PRIMARY KEY, email text UNIQUE NOT NULL,"
            + " CHECK (email LIKE '%@%'))",
        "CREATE TABLE orders (id bigserial PRIMARY KEY, customer int NOT NULL"
            + " REFERENCES customers DEFERRABLE INITIALLY DEFERRED, total numeric(10,2),"
            + " placed timestamptz NOT NULL DEFAULT now())",
        "CREATE INDEX orders_by_customer ON orders (customer, placed DESC)",
        "ALTER TABLE orders ADD CONSTRAINT positive CHECK (total >= 0) NOT VALID",
        "CREATE TABLE events (at date NOT NULL, what text) PARTITION BY RANGE (at)",
        "CREATE TABLE events_2026 PARTITION OF events FOR VALUES FROM ('2026-01-01') TO"
            + " ('2027-01-01')",
        "CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS"
            + " $$BEGIN NEW.total := coalesce(NEW.total, 0); RETURN NEW; END$$",
        "CREATE TRIGGER orders_touch BEFORE INSERT ON orders FOR EACH ROW EXECUTE FUNCTION"
            + " touch()",
        "INSERT INTO customers (email) SELECT 'c' || g || '@example.com' FROM"
            + " generate_series(1, 2000) g",
        "INSERT INTO orders (customer, total, placed) SELECT 1 + g % 2000, g / 7.0,"
            + " '2026-06-01'::timestamptz + g * interval '1 minute' FROM generate_series(1, 20000)"
            + " g",
        "INSERT INTO events SELECT '2026-03-01'::date + g % 200, 'e' || g FROM"
            + " generate_series(1, 5000) g",
        "SELECT setval('orders_id_seq', 90000)",
        "CREATE VIEW big_orders AS SELECT * FROM orders WHERE total > 1000",
        "CREATE MATERIALIZED VIEW per_customer AS SELECT customer, count(*) AS n, sum(total)"
            + " AS total FROM orders GROUP BY customer",
        "CREATE UNIQUE INDEX per_customer_key ON per_customer (customer)",
        "COMMENT ON TABLE orders IS 'one row per order'",
        "COMMENT ON COLUMN customers.email IS 'login'",
        "GRANT SELECT ON orders, big_orders TO " + reader,
        "SELECT lo_from_bytea(0, convert_to('a large object', 'UTF8'))");
    // As Vigil dumps: to a pipe, so the archive has no data offsets.
    Path dump = dir.resolve("split.pgc");
    shell("\"$PG_DUMP\" -Fc -Z0 -d \"$SOURCE\" | cat > \"$OUT\"", source, dump);
    String whole = postgres.createDatabase();
    String split = postgres.createDatabase();

    restorer.restore(target(whole), dump, 2, false, PostgresRestorer.Sections.ALL, () -> {});
    PgTools.Piped load = restorer.startLoad(target(split));
    try (var out = load.stdin()) {
      Files.copy(dump, out);
    }
    restorer.requireSuccess(load.await(Duration.ofSeconds(1), () -> {}), target(split));
    long indexesAfterLoad =
        postgres.queryLong(split, "SELECT count(*) FROM pg_indexes WHERE schemaname = 'public'");
    long rowsAfterLoad = postgres.queryLong(split, "SELECT count(*) FROM orders");
    restorer.restore(target(split), dump, 2, false, PostgresRestorer.Sections.POST_DATA, () -> {});

    assertThat(indexesAfterLoad).as("the pipe loads tables and rows, not indexes").isZero();
    assertThat(rowsAfterLoad).isEqualTo(20000);
    String wholeSchema = dumpText(whole, dir, "--schema-only");
    assertThat(wholeSchema)
        .contains(
            "CREATE INDEX orders_by_customer",
            "CREATE TRIGGER orders_touch",
            "GRANT SELECT ON TABLE public.orders TO " + reader,
            "COMMENT ON TABLE public.orders",
            "FOREIGN KEY (customer)",
            "NOT VALID");
    assertThat(dumpText(split, dir, "--schema-only")).isEqualTo(wholeSchema);
    String wholeData = dumpText(whole, dir, "--data-only");
    assertThat(wholeData).contains("SELECT pg_catalog.setval('public.orders_id_seq', 90000");
    assertThat(dumpText(split, dir, "--data-only")).isEqualTo(wholeData);
    assertThat(postgres.queryLong(split, "SELECT count(*) FROM per_customer")).isEqualTo(2000);
    assertThat(postgres.queryLong(split, "SELECT count(*) FROM pg_largeobject_metadata"))
        .isEqualTo(1);
  }

  private PostgresRestorer.Database target(String database) {
    return new PostgresRestorer.Database(
        postgres.cluster().host(),
        postgres.cluster().port(),
        database,
        postgres.superuser(),
        postgres.password());
  }

  /** Runs a bash {@code script} with $PG_DUMP, $SOURCE (a database name) and $OUT set. */
  private void shell(String script, String database, Path out) throws Exception {
    ProcessBuilder builder = new ProcessBuilder("bash", "-c", "set -o pipefail; " + script);
    builder.environment().put("PG_DUMP", PgTools.locate().pgDump());
    builder.environment().put("SOURCE", database);
    builder.environment().put("OUT", out.toString());
    builder.environment().put("PGHOST", postgres.cluster().host());
    builder.environment().put("PGPORT", Integer.toString(postgres.cluster().port()));
    builder.environment().put("PGUSER", postgres.superuser());
    builder.environment().put("PGPASSWORD", postgres.password());
    builder.redirectErrorStream(true);
    Process process = builder.start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor()).as(output).isZero();
  }

  /** pg_dump's plain text of {@code database} with {@code option}, without the database's name. */
  private String dumpText(String database, Path dir, String option) throws Exception {
    Path out = dir.resolve(database + option + ".sql");
    shell("\"$PG_DUMP\" " + option + " -d \"$SOURCE\" -f \"$OUT\"", database, out);
    // pg_dump's \restrict line carries a random key per run.
    return Files.readString(out)
        .replace(database, "<db>")
        .replaceAll("(?m)^\\\\(un)?restrict .*$", "\\\\restrict <key>");
  }

  private long count(String database, String condition) {
    return postgres.queryLong(database, "SELECT count(*) FROM pg_authid WHERE " + condition);
  }

  private boolean member(String database, String member, String role) {
    return postgres.queryLong(
            database,
            "SELECT count(*) FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid"
                + " JOIN pg_roles r ON r.oid = m.member WHERE r.rolname = "
                + member
                + " AND g.rolname = "
                + role)
        == 1;
  }
}
