package dev.vigil.infra.wal;

import dev.vigil.activities.embedded.PostgresCluster;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.Properties;

/**
 * A real PostgreSQL 15 cluster that archives its WAL with {@code archive_command}: writes WAL,
 * switches segments, takes non-exclusive base backups (pg_backup_start/stop, which leave a real
 * backup label in the archive) and waits until the archiver has caught up.
 */
public final class WalCluster implements AutoCloseable {
  private static final String SUPERUSER = "vigil_test";

  private final PostgresCluster cluster;
  private final String password;

  private WalCluster(PostgresCluster cluster, String password) {
    this.cluster = cluster;
    this.password = password;
  }

  /** Starts a cluster in {@code baseDir} with {@code archiveCommand} (%p, %f as PostgreSQL has). */
  public static WalCluster start(Path baseDir, String archiveCommand) {
    byte[] secret = new byte[12];
    new SecureRandom().nextBytes(secret);
    String password = "pw-" + HexFormat.of().formatHex(secret);
    Map<String, String> settings = new HashMap<>();
    settings.put("wal_level", "replica");
    settings.put("archive_mode", "on");
    settings.put("archive_command", archiveCommand);
    settings.put("wal_keep_size", "1GB");
    PostgresCluster cluster = PostgresCluster.start(baseDir, SUPERUSER, password, settings);
    WalCluster wal = new WalCluster(cluster, password);
    wal.execute("CREATE TABLE events (id bigserial PRIMARY KEY, body text NOT NULL)");
    return wal;
  }

  public PostgresCluster cluster() {
    return cluster;
  }

  /** Writes some WAL and switches to a new segment; returns the name of the one it closed. */
  public String switchSegment() throws SQLException {
    try (Connection connection = connect();
        Statement statement = connection.createStatement()) {
      statement.execute(
          "INSERT INTO events (body) SELECT md5(g::text) FROM generate_series(1, 2000) g");
      try (ResultSet row = statement.executeQuery("SELECT pg_walfile_name(pg_switch_wal())")) {
        row.next();
        return row.getString(1);
      }
    }
  }

  /**
   * A base backup as pg_basebackup takes one (start, stop in one session, waiting for the archive);
   * returns its start LSN. The server archives its backup label ({@code ….backup}).
   */
  public String baseBackup(String label) throws SQLException {
    try (Connection connection = connect();
        Statement statement = connection.createStatement()) {
      String start;
      try (ResultSet row =
          statement.executeQuery("SELECT pg_backup_start('" + label + "', true)")) {
        row.next();
        start = row.getString(1);
      }
      statement.execute(
          "INSERT INTO events (body) SELECT md5(g::text) FROM generate_series(1, 100) g");
      statement.execute("SELECT * FROM pg_backup_stop(true)");
      return start;
    }
  }

  /** Waits until the archiver has archived {@code segment} or a later one. */
  public void awaitArchived(String segment) throws InterruptedException {
    Instant deadline = Instant.now().plus(Duration.ofMinutes(3));
    while (!archivedUpTo(segment)) {
      if (Instant.now().isAfter(deadline)) {
        throw new AssertionError("the archiver did not reach " + segment + " in 3 minutes");
      }
      Thread.sleep(200);
    }
  }

  private boolean archivedUpTo(String segment) {
    try (Connection connection = connect();
        Statement statement = connection.createStatement();
        ResultSet row =
            statement.executeQuery(
                "SELECT coalesce(last_archived_wal, '') FROM pg_stat_archiver")) {
      row.next();
      String last = row.getString(1);
      // Segment names of one timeline sort in WAL order; a label sorts after its segment.
      return last.length() >= 24 && last.substring(0, 24).compareTo(segment) >= 0;
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  public void execute(String sql) {
    try (Connection connection = connect();
        Statement statement = connection.createStatement()) {
      statement.execute(sql);
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  private Connection connect() throws SQLException {
    Properties properties = new Properties();
    properties.setProperty("user", SUPERUSER);
    properties.setProperty("password", password);
    return DriverManager.getConnection(cluster.jdbcUrl("postgres"), properties);
  }

  @Override
  public void close() {
    cluster.close();
  }
}
