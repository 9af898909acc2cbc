package dev.vigil.activities.testing;

import dev.vigil.activities.common.FileTrees;
import dev.vigil.activities.config.Objectives;
import dev.vigil.activities.config.SecretRef;
import dev.vigil.activities.embedded.FreePorts;
import dev.vigil.activities.source.redis.RedisCli;
import dev.vigil.activities.source.redis.RedisSourceConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real redis-server (Debian's) of a test's own, on a free port of 127.0.0.1, requiring a random
 * password (kept in a 0600 file for {@link SecretRef#file()}). Each test starts its own (a few
 * milliseconds), so tests never see each other's keys; {@link #close} stops it and deletes its
 * directory. It streams a snapshot without Redis's default 5 s {@code repl-diskless-sync-delay}; a
 * test that needs a transfer still pending sets it back with {@link #delaySnapshots}. Other
 * modules' tests use it through the activities test-jar.
 */
public final class RedisFixture implements AutoCloseable {
  private final Path root;
  private final int port;
  private final Process process;
  private final String password;
  private final Path passwordFile;

  private RedisFixture(Path root, int port, Process process, String password, Path passwordFile) {
    this.root = root;
    this.port = port;
    this.process = process;
    this.password = password;
    this.passwordFile = passwordFile;
  }

  /** A started server, answering PING. */
  public static RedisFixture start() {
    try {
      Path root = Files.createTempDirectory("vigil-redis-");
      byte[] secret = new byte[18];
      new SecureRandom().nextBytes(secret);
      String password = "pw-" + HexFormat.of().formatHex(secret);
      Path passwordFile = root.resolve("password");
      Files.createFile(
          passwordFile,
          PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      Files.writeString(passwordFile, password, StandardCharsets.UTF_8);
      Path conf = root.resolve("redis.conf");
      // The password goes in a config file, not on the command line.
      Files.writeString(conf, "requirepass " + password + "\n", StandardCharsets.UTF_8);
      int port = FreePorts.find();
      Process process =
          new ProcessBuilder(
                  List.of(
                      "redis-server",
                      conf.toString(),
                      "--port",
                      "" + port,
                      "--bind",
                      "127.0.0.1",
                      "--dir",
                      root.toString(),
                      "--save",
                      "",
                      "--appendonly",
                      "no",
                      // A replica's SYNC (what redis-cli --rdb sends) is answered at once, not
                      // after
                      // the default 5 s wait for more replicas to share the transfer.
                      "--repl-diskless-sync-delay",
                      "0",
                      "--logfile",
                      root.resolve("redis.log").toString()))
              .redirectErrorStream(true)
              .redirectOutput(root.resolve("redis.out").toFile())
              .start();
      RedisFixture fixture = new RedisFixture(root, port, process, password, passwordFile);
      for (int attempt = 0; ; attempt++) {
        try {
          if ("PONG".equals(fixture.cli().run("PING").strip())) {
            return fixture;
          }
        } catch (RuntimeException e) {
          if (attempt > 100 || !process.isAlive()) {
            fixture.close();
            throw new IllegalStateException("test redis-server did not start: " + e.getMessage());
          }
        }
        Thread.sleep(50);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start a test redis-server", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  public int port() {
    return port;
  }

  public String password() {
    return password;
  }

  public Path passwordFile() {
    return passwordFile;
  }

  /**
   * Makes the server wait {@code seconds} before it streams a snapshot to a replica (or to {@code
   * redis-cli --rdb}), as a server with Redis's default configuration (5 s) does.
   */
  public void delaySnapshots(int seconds) {
    command(0, "CONFIG", "SET", "repl-diskless-sync-delay", "" + seconds);
  }

  /** A client with the password. */
  public RedisCli cli() {
    return new RedisCli("test redis", "127.0.0.1", port, null, password, false);
  }

  /** Runs one command on database {@code db}; its reply. */
  public String command(int db, String... args) {
    return cli().run(db, args);
  }

  /** Writes {@code count} string keys {@code prefix0..} to database {@code db} in one pipeline. */
  public void fill(int db, String prefix, int count) {
    StringBuilder commands = new StringBuilder();
    for (int index = 0; index < count; index++) {
      commands.append("SET ").append(prefix).append(index).append(" value-").append(index);
      commands.append('\n');
    }
    try {
      Path script = Files.createTempFile(root, "fill-", ".txt");
      Files.writeString(script, commands, StandardCharsets.UTF_8);
      Process pipe =
          cli()
              .command(List.of("-n", "" + db, "--pipe"))
              .redirectInput(script.toFile())
              .redirectErrorStream(true)
              .redirectOutput(root.resolve("pipe.out").toFile())
              .start();
      if (!pipe.waitFor(60, TimeUnit.SECONDS) || pipe.exitValue() != 0) {
        throw new IllegalStateException(
            "redis-cli --pipe failed: " + Files.readString(root.resolve("pipe.out")));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** A source named {@code name} for this server, with the password file. */
  public RedisSourceConfig sourceConfig(String name) {
    return new RedisSourceConfig(
        name,
        "test-repo",
        "127.0.0.1",
        port,
        null,
        new SecretRef(null, passwordFile),
        false,
        "zstd",
        Objectives.NONE);
  }

  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(5, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
      FileTrees.delete(root);
    } catch (IOException e) {
      // Temp space; the OS cleans it eventually.
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
