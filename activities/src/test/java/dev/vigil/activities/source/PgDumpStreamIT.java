package dev.vigil.activities.source;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vigil.activities.common.VigilException;
import dev.vigil.activities.testing.PostgresFixture;
import dev.vigil.workflows.common.ErrorType;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * pg_dump streamed into a sink with {@code pg_restore --list} reading the same stream, against a
 * real PostgreSQL: no raw file, the archive restores in parallel although pg_dump wrote it to a
 * pipe (no data offsets), and every way the stream can go wrong fails the dump.
 */
final class PgDumpStreamIT {
  private static final int MESSAGES = 200_000;

  private static PostgresFixture postgres;
  private static String chat;

  @TempDir Path spool;
  @TempDir Path scratch;

  private final PgTools tools = PgTools.locate();
  private final PostgresDumper dumper = new PostgresDumper(tools);

  @BeforeAll
  static void seedDatabase() {
    postgres = PostgresFixture.get();
    chat = postgres.createDatabase();
    // About 30 MB of text: far more than a pipe and a socket buffer hold, so pg_dump is still
    // sending rows when the sink first sees data.
    postgres.execute(
        chat,
        "CREATE TABLE rooms (id int PRIMARY KEY, name text)",
        "INSERT INTO rooms SELECT g, 'room ' || g FROM generate_series(1, 50) g",
        "CREATE TABLE messages (id bigint PRIMARY KEY, room int REFERENCES rooms, body text)",
        "INSERT INTO messages SELECT g, 1 + g % 50, repeat(md5(g::text) || ' says hello; ', 4)"
            + " FROM generate_series(1, "
            + MESSAGES
            + ") g",
        "CREATE INDEX messages_room ON messages (room)");
  }

  @Test
  void streamedArchiveIsListedOnTheWayAndRestoresWithParallelJobs() throws Exception {
    Path streamed = scratch.resolve("streamed.pgc");
    List<Long> heartbeats = new CopyOnWriteArrayList<>();

    PostgresDumper.Streamed result;
    try (OutputStream sink = Files.newOutputStream(streamed)) {
      result = dumper.dumpInto(source(chat), postgres.password(), spool, sink, heartbeats::add);
    }

    assertThat(spool.resolve(PostgresDumper.DUMP_FILE)).as("no raw file").doesNotExist();
    assertThat(spool.resolve(PostgresDumper.TABLES_FILE)).exists();
    assertThat(spool.resolve(PostgresDumper.ROLES_FILE)).exists();
    assertThat(result.dump().dumpFile()).isNull();
    assertThat(result.dump().bytes()).isEqualTo(Files.size(streamed)).isGreaterThan(20 << 20);
    assertThat(result.dump().totalRows()).isEqualTo(MESSAGES + 50);
    assertThat(heartbeats).isNotEmpty().last().isEqualTo(result.dump().bytes());
    // What pg_restore read from the pipe is what it reads from the finished file.
    assertThat(result.listedEntries())
        .isEqualTo(dumper.listEntries(streamed))
        .isGreaterThanOrEqualTo(7);

    // pg_dump wrote to a pipe, so the archive has no data offsets: -j must still restore it.
    String restored = postgres.createDatabase();
    restore(streamed, restored, 2);
    assertThat(postgres.queryLong(restored, "SELECT count(*) FROM messages")).isEqualTo(MESSAGES);
    assertThat(
            postgres.queryLong(
                restored, "SELECT count(*) FROM pg_indexes WHERE indexname = 'messages_room'"))
        .isEqualTo(1);
    assertThat(postgres.queryLong(restored, "SELECT sum(length(body)) FROM messages"))
        .isEqualTo(postgres.queryLong(chat, "SELECT sum(length(body)) FROM messages"));
  }

  @Test
  void aConnectionTerminatedMidStreamFailsTheDump() throws Exception {
    AtomicBoolean terminated = new AtomicBoolean();
    // The sink holds pg_dump mid-COPY (it cannot write while the sink does not read) and ends
    // its server connection, as a restart or an administrator would.
    OutputStream sink =
        new FilterOutputStream(OutputStream.nullOutputStream()) {
          private long seen;

          @Override
          public void write(byte[] bytes, int offset, int length) throws IOException {
            seen += length;
            if (seen > (1 << 20) && terminated.compareAndSet(false, true)) {
              terminateCopy();
            }
          }
        };

    assertThatThrownBy(
            () -> dumper.dumpInto(source(chat), postgres.password(), spool, sink, b -> {}))
        .isInstanceOfSatisfying(
            VigilException.class, e -> assertThat(e.type()).isEqualTo(ErrorType.DUMP_FAILED))
        .hasMessageContaining("source 'appdb': pg_dump of database '" + chat + "'")
        .hasMessageContaining("failed (exit 1)");
    assertThat(terminated).isTrue();
  }

  @Test
  void aCancelledHeartbeatStopsPgDumpAndNoWriteReachesTheSinkAfterwards() throws Exception {
    AtomicBoolean returned = new AtomicBoolean();
    AtomicBoolean writtenAfterReturn = new AtomicBoolean();
    AtomicBoolean writing = new AtomicBoolean();
    // A slow spool (300 ms a write): pg_dump still streams when the first heartbeat (after 2 s)
    // is refused, and a write is almost always under way.
    OutputStream slow =
        new OutputStream() {
          @Override
          public void write(int b) {
            throw new UnsupportedOperationException();
          }

          @Override
          public void write(byte[] bytes, int offset, int length) throws IOException {
            writing.set(true);
            writtenAfterReturn.compareAndSet(false, returned.get());
            try {
              Thread.sleep(300);
            } catch (InterruptedException e) {
              throw new java.io.InterruptedIOException();
            } finally {
              writing.set(false);
            }
          }
        };
    long started = System.nanoTime();

    assertThatThrownBy(
            () ->
                dumper.dumpInto(
                    source(chat),
                    postgres.password(),
                    spool,
                    slow,
                    bytes -> {
                      throw new IllegalStateException("activity cancelled");
                    }))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("activity cancelled");
    returned.set(true);
    boolean writingAtReturn = writing.get();

    assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(15));
    // The caller closes the sealer next; a copy still running would write into a closed one.
    assertThat(writingAtReturn).as("a write in progress when the dump returned").isFalse();
    Thread.sleep(1_000);
    assertThat(writtenAfterReturn).as("a write after the dump returned").isFalse();
  }

  @Test
  void aSpoolThatCannotBeWrittenStopsPgDumpAndFailsAsSpoolFull() {
    OutputStream full =
        new OutputStream() {
          @Override
          public void write(int b) throws IOException {
            throw new IOException("No space left on device");
          }
        };

    assertThatThrownBy(
            () -> dumper.dumpInto(source(chat), postgres.password(), spool, full, b -> {}))
        .isInstanceOfSatisfying(
            VigilException.class, e -> assertThat(e.type()).isEqualTo(ErrorType.SPOOL_FULL))
        .hasMessageContaining("is full");
  }

  @Test
  void pgRestoreThatCannotReadTheStreamFailsTheDumpAsInvalid() throws Exception {
    PostgresDumper withBrokenReader =
        new PostgresDumper(
            withPgRestore(
                "cat > /dev/null\necho 'pg_restore: error: unsupported version in file header' >&2\n"
                    + "exit 1\n"));

    assertThatThrownBy(
            () ->
                withBrokenReader.dumpInto(
                    source(chat),
                    postgres.password(),
                    spool,
                    OutputStream.nullOutputStream(),
                    b -> {}))
        .isInstanceOfSatisfying(
            VigilException.class, e -> assertThat(e.type()).isEqualTo(ErrorType.DUMP_INVALID))
        .hasMessage(
            "source 'appdb': pg_dump's archive of database '"
                + chat
                + "' is not readable by pg_restore:"
                + " pg_restore: error: unsupported version in file header");
  }

  @Test
  void pgRestoreThatListsNothingFailsTheDumpAsInvalid() throws Exception {
    // Reads a little, lists nothing, exits 0 early: the broken pipe is not the failure, the
    // empty listing is.
    PostgresDumper withSilentReader =
        new PostgresDumper(withPgRestore("head -c 100 > /dev/null\necho ';'\nexit 0\n"));

    assertThatThrownBy(
            () ->
                withSilentReader.dumpInto(
                    source(chat),
                    postgres.password(),
                    spool,
                    OutputStream.nullOutputStream(),
                    b -> {}))
        .isInstanceOfSatisfying(
            VigilException.class, e -> assertThat(e.type()).isEqualTo(ErrorType.DUMP_INVALID))
        .hasMessageContaining("has no entries (pg_restore --list lists nothing)");
  }

  /** The real pg_dump beside a pg_restore that runs {@code script}. */
  private PgTools withPgRestore(String script) throws IOException {
    Path bin = Files.createDirectories(scratch.resolve("bin"));
    script(bin.resolve("pg_dump"), "exec '" + tools.pgDump() + "' \"$@\"\n");
    script(bin.resolve("pg_restore"), script);
    return new PgTools(bin);
  }

  private static void script(Path file, String body) throws IOException {
    Files.writeString(file, "#!/bin/sh\n" + body);
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
  }

  private static void terminateCopy() {
    try (Connection connection = postgres.connect(chat);
        Statement statement = connection.createStatement();
        ResultSet ended =
            statement.executeQuery(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    + " WHERE query LIKE 'COPY %' AND pid <> pg_backend_pid()")) {
      if (!ended.next() || !ended.getBoolean(1)) {
        throw new AssertionError("pg_dump's COPY was not running");
      }
    } catch (java.sql.SQLException e) {
      throw new AssertionError(e);
    }
  }

  private dev.vigil.activities.config.PostgresSourceConfig source(String database) {
    return postgres.sourceConfig("appdb", database);
  }

  private void restore(Path dumpFile, String database, int jobs) throws Exception {
    PgTools.ProcessOutcome outcome =
        tools.run(
            List.of(
                tools.pgRestore(),
                "--no-owner",
                "--exit-on-error",
                "-j",
                Integer.toString(jobs),
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
