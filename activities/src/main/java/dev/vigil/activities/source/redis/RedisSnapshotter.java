package dev.vigil.activities.source.redis;

import dev.vigil.activities.common.FileTrees;
import dev.vigil.activities.common.Json;
import dev.vigil.activities.common.SpoolErrors;
import dev.vigil.activities.common.VigilException;
import dev.vigil.workflows.common.ErrorType;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.LongConsumer;

/**
 * Takes a consistent snapshot of a live Redis server: {@code redis-cli --rdb} asks it for a full
 * resynchronisation as a replica would, the server forks and streams the RDB of that instant, and
 * redis-cli writes it to the spool. Nothing on the server is changed (no BGSAVE, no CONFIG SET).
 * Then the snapshot's keys are counted by loading it into a throwaway redis-server on 127.0.0.1.
 */
public final class RedisSnapshotter {
  /** The snapshot's name in the spool. */
  public static final String RDB = "dump.rdb";

  /** What was recorded about it, beside it. */
  public static final String INFO = "keyspace.json";

  private static final Duration POLL = Duration.ofSeconds(1);

  private final Duration loadTimeout;

  public RedisSnapshotter() {
    this(Duration.ofHours(1));
  }

  /**
   * @param loadTimeout how long counting may wait for the throwaway server to load the RDB
   */
  public RedisSnapshotter(Duration loadTimeout) {
    this.loadTimeout = loadTimeout;
  }

  /**
   * Writes {@code dir/dump.rdb} and {@code dir/keyspace.json}, reporting the RDB's size so far to
   * {@code progress} about once a second. {@code password} is the resolved secret or null.
   */
  public RedisDump dump(
      RedisSourceConfig source, String password, Path dir, LongConsumer progress) {
    RedisCli cli = RedisCli.of(source, password);
    // INFO first: an unreachable server or refused password fails here, in one line.
    String version = RedisCli.infoFields(cli.run("INFO", "server")).get("redis_version");
    Map<Integer, DbKeys> atSnapshot = Keyspace.parse(cli.run("INFO", "keyspace"));
    Path rdb = dir.resolve(RDB);
    Instant consistentAt = Instant.now();
    transfer(source, cli, rdb, progress);
    long bytes;
    try {
      bytes = Files.size(rdb);
    } catch (IOException e) {
      throw new VigilException(ErrorType.SPOOL_MISSING, "snapshot vanished: " + rdb, e);
    }
    RedisSnapshotInfo info = count(source, rdb, dir, version, consistentAt, atSnapshot);
    Path infoFile = dir.resolve(INFO);
    try {
      Json.MAPPER.writerWithDefaultPrettyPrinter().writeValue(infoFile.toFile(), info);
    } catch (IOException e) {
      throw SpoolErrors.translate(
          e,
          dir,
          "dump",
          new VigilException(ErrorType.SPOOL_MISSING, "dump: cannot write " + infoFile, e));
    }
    return new RedisDump(rdb, bytes, infoFile, info);
  }

  private static void transfer(
      RedisSourceConfig source, RedisCli cli, Path rdb, LongConsumer progress) {
    Path log = rdb.resolveSibling("redis-cli.log");
    Process process = null;
    try {
      process =
          cli.command(List.of("--rdb", rdb.toString()))
              .redirectErrorStream(true)
              .redirectOutput(log.toFile())
              .start();
      while (!process.waitFor(POLL.toMillis(), TimeUnit.MILLISECONDS)) {
        progress.accept(Files.exists(rdb) ? Files.size(rdb) : 0);
      }
      String output = new String(Files.readAllBytes(log), StandardCharsets.UTF_8);
      if (process.exitValue() != 0 || !output.contains("Transfer finished with success")) {
        cli.failOn(output, process.exitValue() == 0 ? 1 : process.exitValue());
      }
      progress.accept(Files.size(rdb));
      Files.deleteIfExists(log);
    } catch (IOException e) {
      throw SpoolErrors.translate(
          e,
          rdb.getParent(),
          "dump",
          new VigilException(
              ErrorType.DUMP_FAILED,
              "source '"
                  + source.name()
                  + "': cannot write the snapshot of "
                  + source.address()
                  + " to "
                  + rdb
                  + ": "
                  + e.getMessage(),
              e));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new VigilException(
          ErrorType.DUMP_FAILED, "source '" + source.name() + "': snapshot interrupted");
    } finally {
      // A cancelled activity leaves through a heartbeat's exception: redis-cli goes with it.
      if (process != null && process.isAlive()) {
        process.destroyForcibly();
      }
    }
  }

  /**
   * Loads the snapshot into a throwaway server in {@code dir/count} (a hard link, not a copy) and
   * reads its keyspace. DUMP_INVALID if redis-server cannot load it.
   */
  private RedisSnapshotInfo count(
      RedisSourceConfig source,
      Path rdb,
      Path dir,
      String version,
      Instant consistentAt,
      Map<Integer, DbKeys> atSnapshot) {
    Path countDir = dir.resolve("count");
    try {
      Files.createDirectories(countDir);
      Files.deleteIfExists(countDir.resolve(LocalRedis.RDB));
      Files.createLink(countDir.resolve(LocalRedis.RDB), rdb);
      try (LocalRedis server = LocalRedis.start(countDir, loadTimeout, tick -> {})) {
        Map<Integer, DbKeys> keys = server.keyspace();
        long loaded = Keyspace.total(keys);
        return new RedisSnapshotInfo(
            version,
            consistentAt.toString(),
            atSnapshot,
            keys,
            loaded + server.expiredAtLoad(),
            server.expiredAtLoad());
      }
    } catch (VigilException e) {
      if (e.type() == ErrorType.RESTORE_FAILED) {
        throw new VigilException(
            ErrorType.DUMP_INVALID,
            "source '" + source.name() + "': the snapshot does not load: " + e.getMessage());
      }
      throw e;
    } catch (IOException e) {
      throw SpoolErrors.translate(
          e,
          dir,
          "dump",
          new VigilException(
              ErrorType.DUMP_FAILED, "dump: cannot prepare " + countDir + ": " + e, e));
    } finally {
      deleteQuietly(countDir);
    }
  }

  private static void deleteQuietly(Path dir) {
    try {
      FileTrees.delete(dir);
    } catch (IOException e) {
      // The spool directory is removed with the backup.
    }
  }
}
