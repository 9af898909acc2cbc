package dev.vigil.activities.retention;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vigil.activities.common.Digests;
import dev.vigil.activities.common.Json;
import dev.vigil.activities.common.VigilException;
import dev.vigil.activities.config.PostgresSourceConfig;
import dev.vigil.activities.config.RowArchivalConfig;
import dev.vigil.activities.crypto.SealOutcome;
import dev.vigil.activities.crypto.Sealer;
import dev.vigil.activities.store.ObjectAttributes;
import dev.vigil.activities.store.ObjectStore;
import dev.vigil.activities.store.StoredObject;
import dev.vigil.workflows.common.ErrorType;
import dev.vigil.workflows.retention.RowArchiveFile;
import dev.vigil.workflows.retention.RowMonth;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.LongConsumer;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * Moves old table rows into monthly jsonl files: select → write → zstd + seal → upload, and, only
 * once the stored file was read back and matched, mark exactly the rows in that file archived. The
 * rows to mark are read from the stored file itself, so no row is marked that the file lacks.
 */
public final class RowArchiver {
  private static final int BATCH = 1000;
  private static final int BUFFER = 1 << 20;

  private final PostgresSourceConfig source;
  private final String password;
  private final RowArchivalConfig.Table table;

  public RowArchiver(PostgresSourceConfig source, String password, RowArchivalConfig.Table table) {
    this.source = source;
    this.password = password;
    this.table = table;
  }

  /**
   * The months (UTC, {@code yyyy-MM}) holding unarchived rows older than the cutoff → row count.
   */
  public Map<String, Long> pendingMonths(Instant cutoff) {
    String sql =
        "SELECT to_char(date_trunc('month', "
            + column(table.timestampColumn())
            + "), 'YYYY-MM'), count(*) FROM "
            + relation()
            + " WHERE "
            + column(table.timestampColumn())
            + " < ? AND "
            + column(table.archivedColumn())
            + " IS NOT TRUE GROUP BY 1 ORDER BY 1";
    try (Connection connection = connect()) {
      checkColumns(connection);
      Map<String, Long> months = new LinkedHashMap<>();
      try (PreparedStatement query = connection.prepareStatement(sql)) {
        query.setObject(1, cutoff.atOffset(ZoneOffset.UTC));
        try (ResultSet rows = query.executeQuery()) {
          while (rows.next()) {
            months.put(rows.getString(1), rows.getLong(2));
          }
        }
      }
      return months;
    } catch (SQLException e) {
      throw failure("finding rows to archive", e);
    }
  }

  /**
   * Writes the month's rows as jsonl into {@code work}, seals them into a file there and uploads
   * it. Returns the file's figures; zero rows means nothing was uploaded.
   */
  public RowArchiveFile write(
      RowMonth month,
      ObjectStore store,
      Sealer sealer,
      String storageClass,
      Path work,
      LongConsumer heartbeat)
      throws IOException {
    Path raw = work.resolve("rows.jsonl");
    Path sealed = work.resolve("rows.jsonl.vgl");
    long rows = 0;
    YearMonth ym = YearMonth.parse(month.month());
    String sql =
        "SELECT row_to_json(t)::text FROM "
            + relation()
            + " t WHERE "
            + column(table.timestampColumn())
            + " < ? AND "
            + column(table.timestampColumn())
            + " >= ? AND "
            + column(table.timestampColumn())
            + " < ? AND "
            + column(table.archivedColumn())
            + " IS NOT TRUE ORDER BY "
            + column(table.keyColumn());
    try (Connection connection = connect();
        BufferedWriter out = Files.newBufferedWriter(raw, StandardCharsets.UTF_8)) {
      checkColumns(connection);
      // A cursor: rows stream in batches instead of arriving all at once.
      connection.setAutoCommit(false);
      try (PreparedStatement query = connection.prepareStatement(sql)) {
        query.setFetchSize(BATCH);
        query.setObject(1, Instant.ofEpochMilli(month.cutoffMillis()).atOffset(ZoneOffset.UTC));
        query.setObject(2, ym.atDay(1).atStartOfDay().atOffset(ZoneOffset.UTC));
        query.setObject(3, ym.plusMonths(1).atDay(1).atStartOfDay().atOffset(ZoneOffset.UTC));
        try (ResultSet result = query.executeQuery()) {
          while (result.next()) {
            out.write(result.getString(1));
            out.write('\n');
            if (++rows % 10_000 == 0) {
              heartbeat.accept(rows);
            }
          }
        }
      }
      connection.rollback();
    } catch (SQLException e) {
      throw failure("reading rows of " + month.month(), e);
    }
    if (rows == 0) {
      return new RowArchiveFile(month, store.bucket(), month.objectKey(), 0, 0, null);
    }
    SealOutcome outcome = sealer.seal(raw, sealed, "zstd", context(month), heartbeat);
    Files.deleteIfExists(raw);
    store.uploadFile(
        sealed,
        month.objectKey(),
        new ObjectAttributes(
            storageClass,
            Map.of(
                "vigil-source", month.source(),
                "vigil-kind", "rows",
                "vigil-table", month.table()),
            Map.of(
                "vigil-sha256", outcome.sha256(),
                "vigil-rows", Long.toString(rows),
                "vigil-key-id", sealer.keyId())),
        null,
        progress -> heartbeat.accept(progress.partsDone()));
    return new RowArchiveFile(
        month, store.bucket(), month.objectKey(), rows, outcome.storedBytes(), outcome.sha256());
  }

  /** The figures of a file an earlier attempt uploaded, from its metadata; empty if none. */
  public static Optional<RowArchiveFile> existing(RowMonth month, ObjectStore store) {
    return store
        .head(month.objectKey())
        .filter(head -> head.metadata().containsKey("vigil-sha256"))
        .filter(head -> head.metadata().containsKey("vigil-rows"))
        .map(
            (StoredObject head) ->
                new RowArchiveFile(
                    month,
                    store.bucket(),
                    month.objectKey(),
                    Long.parseLong(head.metadata().get("vigil-rows")),
                    head.size(),
                    head.metadata().get("vigil-sha256")));
  }

  /**
   * Marks the rows of a verified file archived: downloads it, checks its SHA-256 again on the way,
   * unseals it, and updates rows by key in batches, in one transaction. Rows already archived stay
   * as they are. Returns [rows changed now, rows marked with this file's key], so a retry after a
   * crash still reports what the file archived.
   */
  public long[] mark(
      RowArchiveFile file, ObjectStore store, Sealer sealer, Path work, LongConsumer heartbeat)
      throws IOException {
    Path sealed = work.resolve("mark.vgl");
    Path plain = work.resolve("mark.jsonl");
    MessageDigest sha256 = Digests.sha256();
    try (InputStream in = new DigestInputStream(store.open(file.objectKey()), sha256)) {
      Files.copy(in, sealed, StandardCopyOption.REPLACE_EXISTING);
    }
    String actual = Digests.hex(sha256);
    if (!actual.equals(file.sha256())) {
      throw new VigilException(
          ErrorType.OBJECT_CORRUPT,
          "row archive s3://"
              + file.bucket()
              + "/"
              + file.objectKey()
              + " has SHA-256 "
              + actual
              + ", not the verified "
              + file.sha256()
              + "; no row was marked");
    }
    try (InputStream in = Files.newInputStream(sealed);
        OutputStream out = Files.newOutputStream(plain)) {
      sealer.unseal(in, out, context(file.month()), "archived row file '" + file.objectKey() + "'");
    }
    Files.deleteIfExists(sealed);
    long changed = 0;
    long markedWithKey;
    try (Connection connection = connect();
        BufferedReader lines = Files.newBufferedReader(plain, StandardCharsets.UTF_8)) {
      String keyType = checkColumns(connection);
      connection.setAutoCommit(false);
      String sql =
          "UPDATE "
              + relation()
              + " SET "
              + column(table.archivedColumn())
              + " = true, "
              + column(table.archiveKeyColumn())
              + " = ? WHERE "
              + column(table.keyColumn())
              + " = ANY (?::"
              + keyType
              + "[]) AND "
              + column(table.archivedColumn())
              + " IS NOT TRUE";
      try (PreparedStatement update = connection.prepareStatement(sql)) {
        List<String> keys = new ArrayList<>(BATCH);
        String line;
        while ((line = lines.readLine()) != null) {
          if (line.isBlank()) {
            continue;
          }
          JsonNode row = Json.MAPPER.readTree(line);
          JsonNode key = row.get(table.keyColumn());
          if (key == null || key.isNull()) {
            throw new VigilException(
                ErrorType.DUMP_INVALID,
                "row archive "
                    + file.objectKey()
                    + " holds a row without "
                    + table.keyColumn()
                    + "; no row was marked");
          }
          keys.add(key.asText());
          if (keys.size() == BATCH) {
            changed += updateBatch(connection, update, file.objectKey(), keys);
            heartbeat.accept(changed);
          }
        }
        changed += updateBatch(connection, update, file.objectKey(), keys);
      }
      try (PreparedStatement count =
          connection.prepareStatement(
              "SELECT count(*) FROM "
                  + relation()
                  + " WHERE "
                  + column(table.archiveKeyColumn())
                  + " = ?")) {
        count.setString(1, file.objectKey());
        try (ResultSet row = count.executeQuery()) {
          row.next();
          markedWithKey = row.getLong(1);
        }
      }
      connection.commit();
    } catch (SQLException e) {
      throw failure("marking rows of " + file.objectKey() + " archived", e);
    } finally {
      Files.deleteIfExists(plain);
    }
    return new long[] {changed, markedWithKey};
  }

  private static long updateBatch(
      Connection connection, PreparedStatement update, String objectKey, List<String> keys)
      throws SQLException {
    if (keys.isEmpty()) {
      return 0;
    }
    update.setString(1, objectKey);
    update.setArray(2, connection.createArrayOf("text", keys.toArray()));
    int count = update.executeUpdate();
    keys.clear();
    return count;
  }

  /**
   * Checks the table and the columns Vigil needs; returns the key column's type name. A missing
   * column is an INVALID_CONFIG with the statement that adds it.
   */
  private String checkColumns(Connection connection) throws SQLException {
    Map<String, String> columns = new HashMap<>();
    try (PreparedStatement query =
        connection.prepareStatement(
            "SELECT column_name, udt_name FROM information_schema.columns"
                + " WHERE table_schema = ? AND table_name = ?")) {
      query.setString(1, table.schema());
      query.setString(2, table.table());
      try (ResultSet rows = query.executeQuery()) {
        while (rows.next()) {
          columns.put(rows.getString(1), rows.getString(2));
        }
      }
    }
    String where = "source '" + source.name() + "': table " + table.qualifiedName();
    if (columns.isEmpty()) {
      throw new VigilException(
          ErrorType.SOURCE_NOT_FOUND,
          where
              + " does not exist in database "
              + source.database()
              + "; fix sources."
              + source.name()
              + ".archive-rows");
    }
    for (String needed : List.of(table.timestampColumn(), table.keyColumn())) {
      if (!columns.containsKey(needed)) {
        throw new VigilException(
            ErrorType.INVALID_CONFIG,
            where
                + " has no column "
                + needed
                + "; fix sources."
                + source.name()
                + ".archive-rows");
      }
    }
    if (!columns.containsKey(table.archivedColumn())
        || !columns.containsKey(table.archiveKeyColumn())) {
      throw new VigilException(
          ErrorType.INVALID_CONFIG,
          where
              + " needs the columns Vigil marks archived rows with; add them: ALTER TABLE "
              + relation()
              + " ADD COLUMN IF NOT EXISTS "
              + column(table.archivedColumn())
              + " boolean NOT NULL DEFAULT false, ADD COLUMN IF NOT EXISTS "
              + column(table.archiveKeyColumn())
              + " text");
    }
    try (Statement statement = connection.createStatement()) {
      statement.execute("SET TIME ZONE 'UTC'");
    }
    return columns.get(table.keyColumn());
  }

  /** Binds a row file's ciphertext to its key and source. */
  public static String context(RowMonth month) {
    return "vigil/v1 rows=" + month.objectKey() + " source=" + month.source();
  }

  private Connection connect() throws SQLException {
    PGSimpleDataSource dataSource = new PGSimpleDataSource();
    dataSource.setServerNames(new String[] {source.host()});
    dataSource.setPortNumbers(new int[] {source.port()});
    dataSource.setDatabaseName(source.database());
    dataSource.setUser(source.user());
    if (password != null) {
      dataSource.setPassword(password);
    }
    dataSource.setConnectTimeout(10);
    dataSource.setApplicationName("vigil-row-archival");
    return dataSource.getConnection();
  }

  private String relation() {
    return column(table.schema()) + "." + column(table.table());
  }

  private static String column(String name) {
    return "\"" + name + "\"";
  }

  private VigilException failure(String action, SQLException e) {
    String state = e.getSQLState() == null ? "" : e.getSQLState();
    ErrorType type =
        state.startsWith("08")
            ? ErrorType.SOURCE_UNREACHABLE
            : state.startsWith("28")
                ? ErrorType.AUTHENTICATION_FAILED
                // Class 42: a column or table the config names is wrong; no retry fixes that.
                : state.startsWith("42") ? ErrorType.INVALID_CONFIG : ErrorType.DUMP_FAILED;
    return new VigilException(
        type,
        "source '"
            + source.name()
            + "': table "
            + table.qualifiedName()
            + ": "
            + action
            + " failed: "
            + e.getMessage(),
        e);
  }
}
