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
