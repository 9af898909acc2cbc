package dev.vigil.activities.testing;

import dev.vigil.activities.config.CatalogConfig;
import dev.vigil.activities.config.Objectives;
import dev.vigil.activities.config.PostgresSourceConfig;
import dev.vigil.activities.config.SecretRef;
import dev.vigil.activities.embedded.PostgresCluster;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * One real PostgreSQL cluster per test JVM, started on first use and stopped when the JVM exits.
 * Every test takes a fresh database from it, so tests never see each other's rows. Other modules'
 * integration tests use it through the activities test-jar.
 */
public final class PostgresFixture {
  private static final String SUPERUSER = "vigil_test";
  private static PostgresFixture instance;

  private final Path root;
  private final PostgresCluster cluster;
  private final String password;
  private final Path passwordFile;
  private final AtomicInteger databases = new AtomicInteger();

  private PostgresFixture(Path root, PostgresCluster cluster, String password, Path passwordFile) {
    this.root = root;
    this.cluster = cluster;
    this.password = password;
    this.passwordFile = passwordFile;
  }

  /** The JVM's cluster, started on first call (about a second). */
  public static synchronized PostgresFixture get() {
    if (instance == null) {
      PostgresFixture fixture = start();
      Runtime.getRuntime().addShutdownHook(new Thread(fixture::stop, "postgres-fixture-stop"));
      instance = fixture;
    }
    return instance;
  }

  /**
   * A cluster of the caller's own, which it stops with {@link #stopOwn}. For a test whose cost
   * grows with the whole cluster (a physical backup copies every database the JVM's shared cluster
   * has collected from earlier tests), not only with its own database.
   */
  public static PostgresFixture startOwn() {
    return start();
  }

  /** Stops a cluster from {@link #startOwn} and deletes its files; the shared one is refused. */
  public void stopOwn() {
    synchronized (PostgresFixture.class) {
      if (this == instance) {
        throw new IllegalStateException("the JVM's shared cluster stops when the JVM exits");
      }
    }
    stop();
  }

  private static PostgresFixture start() {
    try {
      Path root = Files.createTempDirectory("vigil-pg-");
      byte[] secret = new byte[18];
      new SecureRandom().nextBytes(secret);
      String password = "pw-" + HexFormat.of().formatHex(secret);
      Path passwordFile = root.resolve("superuser-password");
      Files.createFile(
          passwordFile,
          PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      Files.writeString(passwordFile, password, StandardCharsets.UTF_8);
      PostgresCluster cluster = PostgresCluster.start(root.resolve("cluster"), SUPERUSER, password);
      return new PostgresFixture(root, cluster, password, passwordFile);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start the test PostgreSQL cluster", e);
    }
  }

  /** The running cluster. */
  public PostgresCluster cluster() {
    return cluster;
  }

  /** The superuser every database belongs to. */
  public String superuser() {
    return SUPERUSER;
  }

  /** The superuser's password (TCP connections need it). */
  public String password() {
    return password;
  }

  /** A file holding only the superuser's password, for {@link SecretRef#file()}. */
  public Path passwordFile() {
    return passwordFile;
  }

  /** A new, empty database with a name no other test uses. */
  public String createDatabase() {
    String name = "test_" + ProcessHandle.current().pid() + "_" + databases.incrementAndGet();
    cluster.createDatabase(name);
    return name;
  }

  /** A JDBC connection to {@code database} as the superuser. */
  public Connection connect(String database) throws SQLException {
    Properties properties = new Properties();
    properties.setProperty("user", SUPERUSER);
    properties.setProperty("password", password);
    return DriverManager.getConnection(cluster.jdbcUrl(database), properties);
  }

  /** Runs each statement in {@code database}, in autocommit. */
  public void execute(String database, String... statements) {
    try (Connection connection = connect(database);
        Statement statement = connection.createStatement()) {
      for (String sql : statements) {
        statement.execute(sql);
      }
    } catch (SQLException e) {
      throw new IllegalStateException("SQL in " + database + " failed: " + e.getMessage(), e);
    }
  }

  /**
   * Creates {@code table (id bigint PRIMARY KEY, body text)} in {@code database} with {@code rows}
   * rows whose body is 192 random hex digits: about 200 bytes a row in a dump, which zstd
   * compresses about 2:1.
   */
  public void createRandomHexTable(String database, String table, int rows) {
    execute(
        database,
        "CREATE TABLE " + table + " (id bigint PRIMARY KEY, body text)",
        "INSERT INTO "
            + table
            + " SELECT g, md5(random()::text) || md5(random()::text) || md5(random()::text) ||"
            + " md5(random()::text) || md5(random()::text) || md5(random()::text)"
            + " FROM generate_series(1, "
            + rows
            + ") g");
  }

  /** The single number {@code query} returns in {@code database}. */
  public long queryLong(String database, String query) {
    try (Connection connection = connect(database);
        Statement statement = connection.createStatement();
        var row = statement.executeQuery(query)) {
      row.next();
      return row.getLong(1);
    } catch (SQLException e) {
      throw new IllegalStateException("SQL in " + database + " failed: " + e.getMessage(), e);
    }
  }

  /** A source named {@code name} for {@code database}, as the superuser with the password file. */
  public PostgresSourceConfig sourceConfig(String name, String database) {
    return new PostgresSourceConfig(
        name,
        "test-repo",
        cluster.host(),
        cluster.port(),
        database,
        SUPERUSER,
        new SecretRef(null, passwordFile),
        "zstd",
        Objectives.NONE);
  }

  /** A catalog in {@code database}, as the superuser with the password file. */
  public CatalogConfig catalogConfig(String database) {
    return new CatalogConfig(
        cluster.jdbcUrl(database), SUPERUSER, new SecretRef(null, passwordFile));
  }

  private void stop() {
    cluster.close();
    try (Stream<Path> paths = Files.walk(root)) {
      for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(path);
      }
    } catch (IOException e) {
      // Temp space; the OS cleans it eventually.
    }
  }
}
