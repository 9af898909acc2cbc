package dev.vigil.activities.common;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** What is kept of a PostgreSQL client tool's stderr, with the tools' real output. */
final class SqlErrorsTest {

  @Test
  void pgRestoreErrorKeepsTheServerErrorAndTheFailedCommand() {
    String stderr =
        """
        pg_restore: connecting to database for restore
        pg_restore: creating TABLE "public.customers"
        pg_restore: error: could not execute query: ERROR:  role "app_reader" does not exist
        Command was: GRANT SELECT ON TABLE public.customers TO lim;
        GRANT SELECT ON TABLE public.customers TO app_reader;

        """;

    assertThat(SqlErrors.condense(stderr))
        .isEqualTo(
            "pg_restore: error: could not execute query: ERROR: role \"app_reader\" does not"
                + " exist; Command was: GRANT SELECT ON TABLE public.customers TO lim; GRANT SELECT ON"
                + " TABLE public.customers TO app_reader");
    assertThat(SqlErrors.permissionDenied(stderr)).isFalse();
  }

  @Test
  void serverDetailAndHintLinesAreKept() {
    String stderr =
        """
        pg_dump: error: query failed: ERROR:  permission denied for schema private
        LINE 1: SELECT 1 FROM private.t
                              ^
        DETAIL:  the schema belongs to another team
        HINT:  ask for USAGE
        pg_dump: detail: Query was: SELECT 1 FROM private.t
        """;

    assertThat(SqlErrors.condense(stderr))
        .isEqualTo(
            "pg_dump: error: query failed: ERROR: permission denied for schema private; DETAIL:"
                + " the schema belongs to another team; HINT: ask for USAGE; pg_dump: detail:"
                + " Query was: SELECT 1 FROM private.t");
    assertThat(SqlErrors.permissionDenied(stderr)).isTrue();
  }

  @Test
  void connectionPermissionIsRecognisedButAFilePermissionIsNot() {
    assertThat(
            SqlErrors.permissionDenied(
                "pg_dump: error: connection to server at \"127.0.0.1\", port 5432 failed:"
                    + " FATAL:  permission denied for database \"app\""))
        .isTrue();
    assertThat(
            SqlErrors.permissionDenied(
                "pg_dump: error: could not open output file \"/spool/dump.pgc\": Permission"
                    + " denied"))
        .isFalse();
  }

  @Test
  void withoutErrorLinesTheLastLineIsGivenAndLongOutputIsCut() {
    assertThat(SqlErrors.condense("starting\nsomething odd happened\n\n"))
        .isEqualTo("something odd happened");
    assertThat(SqlErrors.condense("")).isEqualTo("(no output)");
    assertThat(SqlErrors.condense(("pg_dump: error: " + "x".repeat(3000))).length())
        .isLessThan(1100);
  }
}
