package dev.vigil.activities.embedded;

import dev.vigil.activities.common.FileTrees;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A throwaway PostgreSQL cluster on a free loopback port, made with the installed {@code initdb}
 * and {@code pg_ctl}: for the embedded stack and for integration tests. Closing it stops the server
 * and deletes its directory; a shutdown hook does the same if the JVM exits first.
 *
 * <p>{@code initdb} refuses to run as root, so when the JVM is root both tools run as the {@code
 * postgres} user through {@code runuser}, on a directory that user owns.
 */
public final class PostgresCluster implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(PostgresCluster.class);
  private static final String HOST = "127.0.0.1";
  private static final String SERVICE_USER = "postgres";
  private static final Path DEBIAN_VERSIONS = Path.of("/usr/lib/postgresql");
  // A Unix socket path is limited to 107 bytes; leave room for "/.s.PGSQL.65535".
  private static final int MAX_SOCKET_DIR_LENGTH = 90;
  private static final int START_ATTEMPTS = 3;
  private static final String LOG_FILE = "postgres.log";

  /**
   * Vigil's own client authentication for a restored server, beside (not in) its data directory.
   */
  private static final String VIGIL_HBA = "vigil-hba.conf";

  private static final long TOOL_TIMEOUT_SECONDS = 120;

  private final Path baseDir;
  private final Path dataDir;
  private final Path socketDir;
  private final Path binDir;
  private final String superuser;
  private final String password;
  private final int port;
  private final boolean asServiceUser;
  private final KeptData kept;
  private boolean closed;
  private final Thread shutdownHook;

  private PostgresCluster(
      Path baseDir,
      Path dataDir,
      Path socketDir,
      Path binDir,
      String superuser,
      String password,
      int port,
      boolean asServiceUser,
      KeptData kept) {
    this.baseDir = baseDir;
    this.dataDir = dataDir;
    this.kept = kept;
    this.socketDir = socketDir;
    this.binDir = binDir;
    this.superuser = superuser;
    this.password = password;
    this.port = port;
    this.asServiceUser = asServiceUser;
    this.shutdownHook = new Thread(this::stopAndDelete, "postgres-cluster-stop-" + port);
  }

  /**
   * Creates a cluster in {@code baseDir/data} and starts it on a free port of 127.0.0.1. Local
   * (socket) connections are trusted; TCP connections need {@code password} (SCRAM).
   */
  public static PostgresCluster start(Path baseDir, String superuser, String password) {
    return start(baseDir, superuser, password, Map.of());
  }

  /**
   * As {@link #start(Path, String, String)}, with {@code settings} (name to value, e.g. {@code
   * archive_mode} to {@code on}) appended to postgresql.conf before the first start.
   */
  public static PostgresCluster start(
      Path baseDir, String superuser, String password, Map<String, String> settings) {
    return start(baseDir, null, superuser, password, settings, false, null);
  }

  /**
   * Starts a server on a data directory a restore wrote into {@code baseDir/data} (a physical
   * backup): no initdb. The server reads Vigil's own client authentication ({@code -c hba_file},
   * local connections trusted, TCP with SCRAM; the backup's {@code pg_hba.conf} is left as it was)
   * and {@code superuser}, a role of the restored cluster, gets {@code password}, so only Vigil can
   * log in over TCP. Archiving is off: the copy must not push WAL as if it were the source. With
   * the backup's {@code backup_label} and WAL in {@code pg_wal}, the server replays that WAL on
   * startup and opens once it is consistent.
   */
  public static PostgresCluster startRestored(Path baseDir, String superuser, String password) {
    return start(baseDir, null, superuser, password, Map.of(), true, null);
  }

  /**
   * As {@link #startRestored}, for a data directory set up for archive recovery ({@code
   * recovery.signal} and a {@code restore_command}): waits, calling {@code progress} about once a
   * second, until the server has ended recovery and promoted, up to {@code timeout}. {@link
   * RecoveryFailed} with PostgreSQL's own FATAL line if the server stops instead.
   */
  public static PostgresCluster startRecovering(
      Path baseDir, String superuser, String password, Duration timeout, Runnable progress) {
    return start(
        baseDir, null, superuser, password, Map.of(), true, new RecoveryWait(timeout, progress));
  }

  /**
   * As {@link #startRecovering} (or {@link #startRestored} when {@code timeout} is null), for a
   * data directory an operator keeps: {@code dataDir} lies outside {@code baseDir} (which holds
   * only the socket, log and Vigil's client authentication), the server runs with fsync on, and
   * {@link #stopKeepingData} stops it cleanly, gives {@code superuser} back the password secret it
   * had and leaves the data directory in place. {@link #close} still deletes both: a restore that
   * did not finish is worth nothing. When the JVM is root the data directory belongs to the {@code
   * postgres} user.
   */
  public static PostgresCluster startKeepingData(
      Path baseDir,
      Path dataDir,
      String superuser,
      String password,
      Duration timeout,
      Runnable progress) {
    return start(
        baseDir,
        dataDir.toAbsolutePath().normalize(),
        superuser,
        password,
        Map.of(),
        true,
        timeout == null ? null : new RecoveryWait(timeout, progress));
  }

  /** Recovery of a restored data directory stopped the server; the message is its FATAL line. */
  public static final class RecoveryFailed extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    RecoveryFailed(String fatal) {
      super(fatal);
    }
  }

  private record RecoveryWait(Duration timeout, Runnable progress) {}

  /**
   * What a kept data directory had before the temporary start: the superuser's password secret
   * (null for none) and whether Vigil added an empty postgresql.conf.
   */
  private record KeptData(String secret, boolean addedConf) {}

  private static PostgresCluster start(
      Path baseDir,
      Path keptDataDir,
      String superuser,
      String password,
      Map<String, String> settings,
      boolean restored,
      RecoveryWait recovery) {
    Path binDir = findBinDir();
    boolean asServiceUser = runningAsRoot();
    Path base = baseDir.toAbsolutePath().normalize();
    Path dataDir = keptDataDir != null ? keptDataDir : base.resolve("data");
    try {
      Files.createDirectories(base);
      Path socketDir = base.resolve("socket");
      if (socketDir.toString().length() > MAX_SOCKET_DIR_LENGTH) {
        socketDir = Files.createTempDirectory(Path.of("/tmp"), "pgsock");
      }
      Files.createDirectories(socketDir);
      Path passwordFile = base.resolve("superuser.pw");
      Files.deleteIfExists(passwordFile);
      Files.createFile(
          passwordFile,
          PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      Files.writeString(passwordFile, password + "\n", StandardCharsets.UTF_8);
      if (asServiceUser) {
        makeParentsTraversable(base);
        makeParentsTraversable(socketDir);
        chownToServiceUser(base);
        chownToServiceUser(socketDir);
      }
      boolean addedConf = false;
      if (restored) {
        addedConf = prepareRestoredDataDir(base, dataDir);
      }
      if (restored && asServiceUser) {
        // What the restore wrote and Vigil's pg_hba.conf belong to the server's user too.
        chownToServiceUser(base);
        if (keptDataDir != null) {
          makeParentsTraversable(dataDir);
          chownToServiceUser(dataDir);
        }
      }
      PostgresCluster cluster;
      try {
        cluster =
            restored
                ? startServer(
                    base,
                    dataDir,
                    socketDir,
                    binDir,
                    superuser,
                    password,
                    asServiceUser,
                    keptDataDir == null ? Restored.THROWAWAY : Restored.KEPT)
                : initAndStart(
                    base, socketDir, binDir, superuser, password, asServiceUser, settings);
      } catch (IllegalStateException e) {
        Optional<String> fatal = recovery == null ? Optional.empty() : lastFatal(base);
        if (fatal.isPresent()) {
          throw new RecoveryFailed(fatal.get());
        }
        throw e;
      } finally {
        Files.deleteIfExists(passwordFile);
      }
      if (recovery != null) {
        cluster.awaitPromotion(recovery);
      }
      if (keptDataDir != null) {
        cluster = cluster.keeping(new KeptData(cluster.currentSecret(), addedConf));
      }
      if (restored) {
        cluster.setPasswordOverSocket(password);
      }
      Runtime.getRuntime().addShutdownHook(cluster.shutdownHook);
      LOG.info(
          "PostgreSQL cluster started at {}:{} (data {}, binaries {})",
          HOST,
          cluster.port,
          cluster.dataDir,
          binDir);
      return cluster;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot prepare a PostgreSQL cluster in " + base, e);
    }
  }

  private static PostgresCluster initAndStart(
      Path base,
      Path socketDir,
      Path binDir,
      String superuser,
      String password,
      boolean asServiceUser,
      Map<String, String> settings)
      throws IOException {
    Path dataDir = base.resolve("data");
    run(
        asServiceUser,
        base,
        List.of(
            binDir.resolve("initdb").toString(),
            "-D",
            dataDir.toString(),
            "-U",
            superuser,
            "--auth-local=trust",
            "--auth-host=scram-sha-256",
            "--pwfile=" + base.resolve("superuser.pw"),
            "-E",
            "UTF8",
            // The C locale exists everywhere; the host's LANG may name one that is not installed.
            "--locale=C",
            "--no-sync"),
        "initdb");
    if (!settings.isEmpty()) {
      StringBuilder conf = new StringBuilder("\n");
      settings.forEach(
          (name, value) ->
              conf.append(name).append(" = '").append(value.replace("'", "''")).append("'\n"));
      Files.writeString(
          dataDir.resolve("postgresql.conf"),
          conf,
          StandardCharsets.UTF_8,
          StandardOpenOption.APPEND);
    }
    return startServer(
        base, dataDir, socketDir, binDir, superuser, password, asServiceUser, Restored.NO);
  }

  /** How a server's data directory came about, for its start options. */
  private enum Restored {
    /** initdb made it. */
    NO,
    /** A restore wrote it into a cluster Vigil deletes later. */
    THROWAWAY,
    /** A restore wrote it for an operator to keep: it must be durable once Vigil stops it. */
    KEPT
  }

  private static PostgresCluster startServer(
      Path base,
      Path dataDir,
      Path socketDir,
      Path binDir,
      String superuser,
      String password,
      boolean asServiceUser,
      Restored restored)
      throws IOException {
    Path log = base.resolve(LOG_FILE);
    String lastFailure = "";
    // The free port is only free until someone takes it: try a new one if the bind loses.
    for (int attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
      int port = FreePorts.find();
      String serverOptions =
          "-p "
              + port
              + " -k "
              + socketDir
              + " -c listen_addresses="
              + HOST
              // A kept data directory must survive a power cut once Vigil hands it over.
              + (restored == Restored.KEPT
                  ? ""
                  : " -c fsync=off -c full_page_writes=off -c synchronous_commit=off")
              + (restored != Restored.NO
                  ? " -c archive_mode=off -c hba_file=" + base.resolve(VIGIL_HBA)
                  : "");
      ToolResult result =
          tryRun(
              asServiceUser,
              base,
              List.of(
                  binDir.resolve("pg_ctl").toString(),
                  "-D",
                  dataDir.toString(),
                  "-o",
                  serverOptions,
                  "-l",
                  log.toString(),
                  "-w",
                  "-t",
                  "60",
                  "start"));
      if (result.exitCode() == 0) {
        return new PostgresCluster(
            base, dataDir, socketDir, binDir, superuser, password, port, asServiceUser, null);
      }
      lastFailure = result.output().strip() + "\n" + tail(log);
      LOG.warn("PostgreSQL did not start on port {} (attempt {}): {}", port, attempt, lastFailure);
    }
    throw new IllegalStateException(
        "PostgreSQL did not start in "
            + dataDir
            + " after "
            + START_ATTEMPTS
            + " attempts: "
            + lastFailure);
  }

  /**
   * Makes a restored data directory startable here: Vigil's own client authentication in {@code
   * base} (the source's pg_hba.conf names its hosts; it stays as it was), an empty postgresql.conf
   * where the source kept it outside the data directory (Debian), mode 0700 as the server requires.
   * True if it added that postgresql.conf.
   */
  private static boolean prepareRestoredDataDir(Path base, Path dataDir) throws IOException {
    Files.writeString(
        base.resolve(VIGIL_HBA),
        "local all all trust\nhost all all " + HOST + "/32 scram-sha-256\n",
        StandardCharsets.UTF_8);
    Path conf = dataDir.resolve("postgresql.conf");
    boolean added = !Files.exists(conf);
    if (added) {
      Files.writeString(conf, "", StandardCharsets.UTF_8);
    }
    Files.setPosixFilePermissions(dataDir, PosixFilePermissions.fromString("rwx------"));
    return added;
  }

  /** This cluster, remembering what its kept data directory had before the start. */
  private PostgresCluster keeping(KeptData before) {
    return new PostgresCluster(
        baseDir, dataDir, socketDir, binDir, superuser, password, port, asServiceUser, before);
  }

  /** The superuser's stored password secret (SCRAM or MD5), null if it has none. */
  private String currentSecret() {
    try {
      ToolResult secret =
          tryRun(
              asServiceUser,
              baseDir,
              psqlOverSocket(
                  "-tA",
                  "-c",
                  "SELECT coalesce(rolpassword, '-') FROM pg_authid WHERE rolname = current_user"));
      if (secret.exitCode() != 0) {
        close();
        throw new IllegalStateException(
            "cannot read the password of '" + superuser + "': " + secret.output().strip());
      }
      String value = secret.output().strip();
      return value.equals("-") ? null : value;
    } catch (IOException e) {
      close();
      throw new UncheckedIOException("cannot run psql on the restored cluster", e);
    }
  }

  /**
   * Stops a server started by {@link #startKeepingData} cleanly ({@code pg_ctl stop -m fast}: a
   * shutdown checkpoint), after giving its superuser back the password secret it had, and removes
   * the postgresql.conf Vigil added; the data directory stays. IllegalStateException if the server
   * does not stop cleanly (the data directory is then deleted, as by {@link #close}).
   */
  public synchronized void stopKeepingData() {
    if (kept == null) {
      throw new IllegalStateException("the data directory of " + baseDir + " is not kept");
    }
    if (closed) {
      throw new IllegalStateException("the server on " + dataDir + " is already stopped");
    }
    setPasswordOverSocket(kept.secret());
    try {
      ToolResult stop = tryRun(asServiceUser, baseDir, pgCtlStop());
      if (stop.exitCode() != 0) {
        throw new IllegalStateException(
            "the server on " + dataDir + " did not stop cleanly: " + stop.output().strip());
      }
      closed = true;
      // The temporary start's options (Vigil's hba_file, port): a pg_ctl restart would reuse them.
      Files.deleteIfExists(dataDir.resolve("postmaster.opts"));
      if (kept.addedConf()) {
        Files.deleteIfExists(dataDir.resolve("postgresql.conf"));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot stop the server on " + dataDir, e);
    } finally {
      if (!closed) {
        close();
      }
    }
    deleteRecursively(baseDir);
    if (!socketDir.startsWith(baseDir)) {
      deleteRecursively(socketDir);
    }
    try {
      Runtime.getRuntime().removeShutdownHook(shutdownHook);
    } catch (IllegalStateException alreadyShuttingDown) {
      // The hook is running or has run; nothing left to unregister.
    }
  }

  private List<String> pgCtlStop() {
    return List.of(
        binDir.resolve("pg_ctl").toString(),
        "-D",
        dataDir.toString(),
        "-m",
        "fast",
        "-w",
        "-t",
        "60",
        "stop");
  }

  /**
   * Polls over the trusted socket until the server is out of recovery; stops it and throws
   * RecoveryFailed with its FATAL line if it exits first, IllegalStateException on the timeout.
   */
  private void awaitPromotion(RecoveryWait recovery) {
    long deadline = System.nanoTime() + recovery.timeout().toNanos();
    try {
      while (true) {
        ToolResult inRecovery =
            tryRun(
                asServiceUser, baseDir, psqlOverSocket("-tA", "-c", "SELECT pg_is_in_recovery()"));
        if (inRecovery.exitCode() == 0 && inRecovery.output().strip().equals("f")) {
          return;
        }
        if (!Files.exists(dataDir.resolve("postmaster.pid"))) {
          String fatal =
              lastFatal(baseDir)
                  .orElse("the server stopped during recovery: " + tail(baseDir.resolve(LOG_FILE)));
          close();
          throw new RecoveryFailed(fatal);
        }
        if (System.nanoTime() > deadline) {
          close();
          throw new IllegalStateException(
              "recovery of " + dataDir + " did not end within " + recovery.timeout());
        }
        recovery.progress().run();
        Thread.sleep(500);
      }
    } catch (IOException e) {
      close();
      throw new UncheckedIOException("cannot run psql on the recovering cluster", e);
    } catch (InterruptedException e) {
      close();
      Thread.currentThread().interrupt();
      throw new IllegalStateException("waiting for recovery was interrupted", e);
    }
  }

  /** psql as the superuser over the trusted socket into {@code postgres}, then {@code options}. */
  private List<String> psqlOverSocket(String... options) {
    List<String> command =
        new ArrayList<>(
            List.of(
                binDir.resolve("psql").toString(),
                "-X",
                "-q",
                "-h",
                socketDir.toString(),
                "-p",
                Integer.toString(port),
                "-U",
                superuser,
                "-d",
                "postgres"));
    command.addAll(List.of(options));
    return command;
  }

  /** The last FATAL or PANIC line of the server's log, without its prefix. */
  private static Optional<String> lastFatal(Path base) {
    try {
      Path log = base.resolve(LOG_FILE);
      if (!Files.exists(log)) {
        return Optional.empty();
      }
      String found = null;
      for (String line : Files.readAllLines(log, StandardCharsets.UTF_8)) {
        int at = line.indexOf("FATAL:  ");
        if (at < 0) {
          at = line.indexOf("PANIC:  ");
        }
        // Connections refused while the server starts or stops (ours, polling) are not the cause.
        if (at >= 0
            && !line.contains("accepting connections")
            && !line.contains("starting up")
            && !line.contains("shutting down")
            && !line.contains("terminating connection")) {
          found = line.substring(at + "FATAL:  ".length()).strip();
        }
      }
      return Optional.ofNullable(found);
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  /**
   * Gives the superuser {@code secret} (a password, or a stored SCRAM/MD5 secret, which PostgreSQL
   * keeps as it is; null for none), over the trusted local socket.
   */
  private void setPasswordOverSocket(String secret) {
    List<String> command = new ArrayList<>();
    if (asServiceUser) {
      command.addAll(List.of("runuser", "-u", SERVICE_USER, "--"));
    }
    command.addAll(psqlOverSocket("-v", "ON_ERROR_STOP=1", "-f", "-"));
    try {
      Process process =
          new ProcessBuilder(command).directory(baseDir.toFile()).redirectErrorStream(true).start();
      // On stdin, not the command line: other users of the host can read command lines.
      try (var stdin = process.getOutputStream()) {
        stdin.write(
            ("ALTER ROLE CURRENT_USER PASSWORD "
                    + (secret == null ? "NULL" : "'" + secret.replace("'", "''") + "'")
                    + ";\n")
                .getBytes(StandardCharsets.UTF_8));
      }
      String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!process.waitFor(TOOL_TIMEOUT_SECONDS, TimeUnit.SECONDS) || process.exitValue() != 0) {
        close();
        throw new IllegalStateException(
            "cannot log in to the restored cluster as '" + superuser + "': " + output.strip());
      }
    } catch (IOException e) {
      close();
      throw new UncheckedIOException("cannot run psql on the restored cluster", e);
    } catch (InterruptedException e) {
      close();
      Thread.currentThread().interrupt();
      throw new IllegalStateException("psql on the restored cluster was interrupted", e);
    }
  }

  /** The address the server listens on. */
  public String host() {
    return HOST;
  }

  /** The cluster's data directory (PGDATA). */
  public Path dataDir() {
    return dataDir;
  }

  /** The TCP port the server listens on. */
  public int port() {
    return port;
  }

  /** The superuser's name. */
  public String superuser() {
    return superuser;
  }

  /** The directory holding initdb, pg_ctl, pg_dump and pg_restore of this cluster's version. */
  public Path binDir() {
    return binDir;
  }

  /** The directory of the cluster's Unix socket (local connections are trusted). */
  public Path socketDir() {
    return socketDir;
  }

  /** A JDBC URL for {@code database} over TCP. */
  public String jdbcUrl(String database) {
    return "jdbc:postgresql://" + HOST + ":" + port + "/" + database;
  }

  /** Creates {@code name} (quoted, so any name is allowed), owned by the superuser. */
  public void createDatabase(String name) {
    Properties properties = new Properties();
    properties.setProperty("user", superuser);
    properties.setProperty("password", password);
    try (Connection connection = DriverManager.getConnection(jdbcUrl("postgres"), properties);
        Statement statement = connection.createStatement()) {
      statement.execute("CREATE DATABASE \"" + name.replace("\"", "\"\"") + "\"");
    } catch (SQLException e) {
      throw new IllegalStateException(
          "cannot create database '" + name + "' at " + HOST + ":" + port + ": " + e.getMessage(),
          e);
    }
  }

  /** Stops the server ({@code pg_ctl stop -m fast}) and deletes the cluster's directory. */
  @Override
  public void close() {
    stopAndDelete();
    try {
      Runtime.getRuntime().removeShutdownHook(shutdownHook);
    } catch (IllegalStateException alreadyShuttingDown) {
      // The hook is running or has run; nothing left to unregister.
    }
  }

  // Synchronized: a second caller (close and the shutdown hook) waits until the server is down.
  private synchronized void stopAndDelete() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      ToolResult stop = tryRun(asServiceUser, baseDir, pgCtlStop());
      if (stop.exitCode() != 0) {
        LOG.warn("pg_ctl stop for {} failed: {}", dataDir, stop.output().strip());
      }
    } catch (IOException e) {
      LOG.warn("pg_ctl stop for {} failed: {}", dataDir, e.getMessage());
    }
    deleteRecursively(baseDir);
    if (!dataDir.startsWith(baseDir)) {
      deleteRecursively(dataDir);
    }
    if (!socketDir.startsWith(baseDir)) {
      deleteRecursively(socketDir);
    }
  }

  private static Path findBinDir() {
    Optional<Path> debian = highestDebianBinDir();
    if (debian.isPresent()) {
      return debian.get();
    }
    try {
      ToolResult pgConfig = tryRun(false, null, List.of("pg_config", "--bindir"));
      Path fromPgConfig = Path.of(pgConfig.output().strip());
      if (pgConfig.exitCode() == 0 && Files.isExecutable(fromPgConfig.resolve("initdb"))) {
        return fromPgConfig;
      }
    } catch (IOException | RuntimeException notInstalled) {
      // No pg_config on PATH: look for initdb itself next.
    }
    String path = Optional.ofNullable(System.getenv("PATH")).orElse("");
    for (String entry : path.split(java.io.File.pathSeparator)) {
      if (!entry.isEmpty() && Files.isExecutable(Path.of(entry, "initdb"))) {
        return Path.of(entry);
      }
    }
    throw new IllegalStateException(
        "PostgreSQL server binaries (initdb, pg_ctl) not found in /usr/lib/postgresql/<version>/bin,"
            + " via pg_config or on PATH; install the PostgreSQL server package");
  }

  /** The bin directory of the highest PostgreSQL major version Debian installed, if any. */
  private static Optional<Path> highestDebianBinDir() {
    if (!Files.isDirectory(DEBIAN_VERSIONS)) {
      return Optional.empty();
    }
    try (Stream<Path> versions = Files.list(DEBIAN_VERSIONS)) {
      return versions
          .filter(dir -> dir.getFileName().toString().matches("\\d+(\\.\\d+)?"))
          .filter(dir -> Files.isExecutable(dir.resolve("bin/initdb")))
          .max(Comparator.comparingDouble(dir -> Double.parseDouble(dir.getFileName().toString())))
          .map(dir -> dir.resolve("bin"));
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  private static boolean runningAsRoot() {
    if ("root".equals(System.getProperty("user.name"))) {
      return true;
    }
    try {
      ToolResult id = tryRun(false, null, List.of("id", "-u"));
      return id.exitCode() == 0 && id.output().strip().equals("0");
    } catch (IOException e) {
      return false;
    }
  }

  /** Lets the service user reach {@code dir}: every parent gets search (x) for others. */
  private static void makeParentsTraversable(Path dir) throws IOException {
    for (Path parent = dir.getParent(); parent != null; parent = parent.getParent()) {
      Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(parent);
      if (!permissions.contains(PosixFilePermission.OTHERS_EXECUTE)) {
        permissions.add(PosixFilePermission.OTHERS_EXECUTE);
        Files.setPosixFilePermissions(parent, permissions);
      }
    }
  }

  private static void chownToServiceUser(Path dir) throws IOException {
    UserPrincipalLookupService lookup = FileSystems.getDefault().getUserPrincipalLookupService();
    UserPrincipal user = lookup.lookupPrincipalByName(SERVICE_USER);
    GroupPrincipal group = lookup.lookupPrincipalByGroupName(SERVICE_USER);
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path path : paths.toList()) {
        PosixFileAttributeView view =
            Files.getFileAttributeView(
                path, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS);
        view.setOwner(user);
        view.setGroup(group);
      }
    }
  }

  private static void run(boolean asServiceUser, Path workDir, List<String> command, String tool)
      throws IOException {
    ToolResult result = tryRun(asServiceUser, workDir, command);
    if (result.exitCode() != 0) {
      throw new IllegalStateException(
          tool + " failed (exit " + result.exitCode() + "): " + result.output().strip());
    }
  }

  private static ToolResult tryRun(boolean asServiceUser, Path workDir, List<String> command)
      throws IOException {
    List<String> full = new ArrayList<>();
    if (asServiceUser) {
      full.addAll(List.of("runuser", "-u", SERVICE_USER, "--"));
    }
    full.addAll(command);
    ProcessBuilder builder = new ProcessBuilder(full).redirectErrorStream(true);
    if (workDir != null) {
      // The service user may not be allowed into the JVM's working directory (e.g. /root).
      builder.directory(workDir.toFile());
    }
    Process process = builder.start();
    process.getOutputStream().close();
    try {
      // pg_ctl -w returns once the server is up; the server itself logs to the -l file, so the
      // output stream ends when pg_ctl exits.
      String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!process.waitFor(TOOL_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        return new ToolResult(-1, output + "\n(timed out)");
      }
      return new ToolResult(process.exitValue(), output);
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IllegalStateException(command.get(0) + " interrupted", e);
    }
  }

  private static String tail(Path log) {
    try {
      if (!Files.exists(log)) {
        return "";
      }
      List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 10), lines.size()));
    } catch (IOException e) {
      return "";
    }
  }

  private static void deleteRecursively(Path dir) {
    try {
      FileTrees.delete(dir);
    } catch (IOException e) {
      LOG.warn("cannot delete {}: {}", dir, e.getMessage());
    }
  }

  private record ToolResult(int exitCode, String output) {}
}
