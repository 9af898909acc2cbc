package dev.vigil.activities.source.redis;

import dev.vigil.activities.common.VigilException;
import dev.vigil.activities.embedded.FreePorts;
import dev.vigil.workflows.common.ErrorType;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.LongConsumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A redis-server Vigil starts itself on a free port of 127.0.0.1, serving the RDB {@code
 * dir/dump.rdb} (loaded at start): no persistence of its own ({@code save ""}, no AOF), so it never
 * writes to the file it serves, and stopped with {@code SHUTDOWN NOSAVE}. Used to count a
 * snapshot's keys and as the fresh server a Redis restore or drill loads its backup into.
 */
public final class LocalRedis implements AutoCloseable {
  /** The RDB file name the server loads. */
  public static final String RDB = "dump.rdb";

  /** The server's log, in its directory. */
  public static final String LOG = "redis.log";

  private static final Pattern LOADED =
      Pattern.compile("Done loading RDB, keys loaded: (\\d+), keys expired: (\\d+)");

  private final Path dir;
  private final int port;
  private final Process process;
  private final long loaded;
  private final long expiredAtLoad;

  private LocalRedis(Path dir, int port, Process process, long loaded, long expiredAtLoad) {
    this.dir = dir;
    this.port = port;
    this.process = process;
    this.loaded = loaded;
    this.expiredAtLoad = expiredAtLoad;
  }

  /**
   * Starts redis-server in {@code dir} (which holds {@code dump.rdb}, or nothing for an empty
   * server) and returns once it answers PING, the RDB loaded. RESTORE_FAILED with the server's own
   * last log line if it exits first (a damaged RDB), or if loading takes longer than {@code
   * timeout}. {@code progress} is called about once a second while it loads.
   */
  public static LocalRedis start(Path dir, Duration timeout, LongConsumer progress) {
    int port = FreePorts.find();
    Path log = dir.resolve(LOG);
    List<String> command =
        List.of(
            "redis-server",
            "--port",
            "" + port,
            "--bind",
            "127.0.0.1",
            "--protected-mode",
            "yes",
            "--dir",
            dir.toString(),
            "--dbfilename",
            RDB,
            "--save",
            "",
            "--appendonly",
            "no",
            "--daemonize",
            "no",
            "--logfile",
            log.toString());
    Process process;
    try {
      Files.deleteIfExists(log);
      process =
          new ProcessBuilder(command)
              .redirectErrorStream(true)
              .redirectOutput(dir.resolve("redis.out").toFile())
              .start();
    } catch (IOException e) {
      throw new VigilException(
          ErrorType.RESTORE_FAILED, "cannot start redis-server in " + dir + ": " + e.getMessage());
    }
    RedisCli cli = RedisCli.local("the redis-server Vigil started in " + dir, port);
    long deadline = System.nanoTime() + timeout.toNanos();
    try {
      while (true) {
        if (!process.isAlive()) {
          throw new VigilException(
              ErrorType.RESTORE_FAILED,
              "redis-server could not load "
                  + dir.resolve(RDB)
                  + ": "
                  + lastError(log, dir.resolve("redis.out")));
        }
        if (System.nanoTime() > deadline) {
          throw new VigilException(
              ErrorType.RESTORE_FAILED,
              "redis-server in "
                  + dir
                  + " did not finish loading within "
                  + timeout.toSeconds()
                  + " s");
        }
        if (answers(cli)) {
          Matcher done = LOADED.matcher(read(log));
          long loaded = -1;
          long expired = 0;
          if (done.find()) {
            loaded = Long.parseLong(done.group(1));
            expired = Long.parseLong(done.group(2));
          }
          return new LocalRedis(dir, port, process, loaded, expired);
        }
        progress.accept(System.nanoTime());
        Thread.sleep(100);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
      throw new VigilException(ErrorType.RESTORE_FAILED, "interrupted while redis-server loaded");
    } catch (RuntimeException e) {
      process.destroyForcibly();
      throw e;
    }
  }

  private static boolean answers(RedisCli cli) {
    try {
      return cli.run("PING").strip().equals("PONG");
    } catch (VigilException e) {
      // Not listening yet, or LOADING: asked again shortly.
      return false;
    }
  }

  /** The port it listens on, on 127.0.0.1. */
  public int port() {
    return port;
  }

  /** Its directory (RDB, log). */
  public Path dir() {
    return dir;
  }

  /** The process id, so a later activity (or a restarted worker) can stop it. */
  public long pid() {
    return process.pid();
  }

  /** Keys the start loaded, from the server's log; -1 if it did not say. */
  public long loaded() {
    return loaded;
  }

  /** Keys the start dropped because their time to live had passed. */
  public long expiredAtLoad() {
    return expiredAtLoad;
  }

  /** Keys per database, as the server reports them now. */
  public Map<Integer, DbKeys> keyspace() {
    return Keyspace.parse(cli().run("INFO", "keyspace"));
  }

  /** A client of this server. */
  public RedisCli cli() {
    return RedisCli.local("the redis-server Vigil started on 127.0.0.1:" + port, port);
  }

  /** Stops the server without saving (its RDB stays as loaded). */
  @Override
  public void close() {
    stop(process.toHandle(), port);
  }

  /** Stops a server of this kind by its process and port: SHUTDOWN NOSAVE, then a kill. */
  public static void stop(ProcessHandle handle, int port) {
    if (!handle.isAlive()) {
      return;
    }
    try {
      RedisCli.local("redis-server", port).run("SHUTDOWN", "NOSAVE");
    } catch (VigilException e) {
      // The connection drops as it shuts down, or it is already gone: the kill below settles it.
    }
    try {
      handle.onExit().get(5, TimeUnit.SECONDS);
    } catch (Exception e) {
      handle.destroyForcibly();
    }
  }

  private static String lastError(Path log, Path out) {
    String text = read(log) + read(out);
    String last = null;
    for (String line : text.split("\n")) {
      // Redis marks warnings with '#': the reason it stopped is the last of them.
      int mark = line.indexOf(" # ");
      if (mark > 0) {
        last = line.substring(mark + 3).strip();
      }
    }
    return last != null ? last : "it exited without saying why (see " + log + ")";
  }

  private static String read(Path file) {
    try {
      return Files.exists(file) ? new String(Files.readAllBytes(file), StandardCharsets.UTF_8) : "";
    } catch (IOException e) {
      return "";
    }
  }
}
