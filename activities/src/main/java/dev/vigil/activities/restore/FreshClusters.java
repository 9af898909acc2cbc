package dev.vigil.activities.restore;

import dev.vigil.activities.common.FileTrees;
import dev.vigil.activities.embedded.PostgresCluster;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The PostgreSQL clusters restores started in this worker process, by restore id. A cluster runs
 * until {@link #stop} (the {@code stopFreshCluster} activity) or until the worker process exits,
 * whose shutdown hook stops and deletes it. Process-wide, because the clusters are child processes
 * of this JVM.
 */
public final class FreshClusters {
  /** The superuser's password file inside the cluster's directory (mode 0600). */
  public static final String PASSWORD_FILE = "vigil-superuser.password";

  private static final FreshClusters SHARED = new FreshClusters();

  private final Map<String, Started> clusters = new ConcurrentHashMap<>();

  private FreshClusters() {}

  /** The worker process's registry. */
  public static FreshClusters shared() {
    return SHARED;
  }

  /**
   * Starts a new cluster in {@code baseDir} (initdb on a free port) with {@code superuser} and a
   * random password written to a 0600 file. A cluster an earlier attempt of the same restore
   * started is stopped and replaced: what it holds is half a restore.
   */
  public Started start(String restoreId, Path baseDir, String superuser) {
    return start(restoreId, baseDir, null, superuser, null, null);
  }

  /**
   * Starts a cluster on a data directory {@code writer} fills in {@code baseDir/data} (a physical
   * backup's files), with {@code superuser} (a role of that cluster) given a random password. The
   * writer is where recovery settings (a {@code restore_command}) would be added.
   */
  public Started startRestored(
      String restoreId, Path baseDir, String superuser, DataDirWriter writer) {
    return start(
        restoreId,
        baseDir,
        null,
        superuser,
        writer,
        (base, password) -> PostgresCluster.startRestored(base, superuser, password));
  }

  /**
   * As {@link #startRestored}, for a data directory the writer set up for archive recovery: returns
   * once the server has promoted (see {@link PostgresCluster#startRecovering}).
   */
  public Started startRecovering(
      String restoreId,
      Path baseDir,
      String superuser,
      DataDirWriter writer,
      Duration timeout,
      Runnable progress) {
    return start(
        restoreId,
        baseDir,
        null,
        superuser,
        writer,
        (base, password) ->
            PostgresCluster.startRecovering(base, superuser, password, timeout, progress));
  }

  /**
   * As {@link #startRecovering} ({@link #startRestored} when {@code timeout} is null), on {@code
   * dataDir} outside {@code baseDir}: a data directory an operator keeps (see {@link
   * PostgresCluster#startKeepingData}). {@link #stopKeepingData} hands it over; {@link #stop}
   * deletes it with the rest.
   */
  public Started startKeepingData(
      String restoreId,
      Path baseDir,
      Path dataDir,
      String superuser,
      DataDirWriter writer,
      Duration timeout,
      Runnable progress) {
    return start(
        restoreId,
        baseDir,
        dataDir,
        superuser,
        writer,
        (base, password) ->
            PostgresCluster.startKeepingData(
                base, dataDir, superuser, password, timeout, progress));
  }

  /**
   * Stops a restore's server started by {@link #startKeepingData} cleanly and leaves its data
   * directory; returns it, or empty if this process has no server for that restore.
   */
  public Optional<Path> stopKeepingData(String restoreId) {
    Started started = clusters.remove(restoreId);
    if (started == null) {
      return Optional.empty();
    }
    started.cluster().stopKeepingData();
    return Optional.of(started.cluster().dataDir());
  }

  /** Starts the server on a filled data directory. */
  private interface Starter {
    PostgresCluster start(Path baseDir, String password);
  }

  /** Fills a new, empty data directory. */
  @FunctionalInterface
  public interface DataDirWriter {
    void write(Path dataDir) throws IOException;
  }

  private Started start(
      String restoreId,
      Path baseDir,
      Path keptDataDir,
      String superuser,
      DataDirWriter writer,
      Starter starter) {
    stop(restoreId);
    try {
      if (Files.exists(baseDir)) {
        try (var walk = Files.walk(baseDir)) {
          for (Path path : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
            Files.deleteIfExists(path);
          }
        }
      }
      byte[] secret = new byte[24];
      new SecureRandom().nextBytes(secret);
      String password = HexFormat.of().formatHex(secret);
      PostgresCluster cluster;
      if (writer == null) {
        cluster = PostgresCluster.start(baseDir, superuser, password);
      } else {
        Path dataDir =
            Files.createDirectories(keptDataDir != null ? keptDataDir : baseDir.resolve("data"));
        try {
          writer.write(dataDir);
        } catch (IOException | RuntimeException e) {
          // Half a data directory is worth nothing; the next attempt starts afresh anyway.
          FileTrees.delete(baseDir);
          throw e;
        }
        cluster = starter.start(baseDir, password);
      }
      Path passwordFile = baseDir.resolve(PASSWORD_FILE);
      Files.deleteIfExists(passwordFile);
      Files.createFile(
          passwordFile,
          PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      Files.writeString(passwordFile, password, StandardCharsets.UTF_8);
      Started started = new Started(cluster, passwordFile);
      clusters.put(restoreId, started);
      return started;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot prepare a fresh cluster in " + baseDir, e);
    }
  }

  /** The running cluster of a restore, if this process started one. */
  public Optional<Started> get(String restoreId) {
    return Optional.ofNullable(clusters.get(restoreId));
  }

  /** Stops and deletes a restore's cluster; false if this process has none for it. */
  public boolean stop(String restoreId) {
    Started started = clusters.remove(restoreId);
    if (started == null) {
      return false;
    }
    started.cluster().close();
    return true;
  }

  /** Stops and deletes the clusters of every restore whose id starts with {@code prefix}. */
  public int stopAll(String prefix) {
    int stopped = 0;
    for (String restoreId : List.copyOf(clusters.keySet())) {
      if (restoreId.startsWith(prefix) && stop(restoreId)) {
        stopped++;
      }
    }
    return stopped;
  }

  /** A started cluster and the file holding its superuser's password. */
  public record Started(PostgresCluster cluster, Path passwordFile) {}
}
