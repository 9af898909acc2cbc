package dev.vigil.activities.source.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vigil.activities.common.VigilException;
import dev.vigil.activities.config.Objectives;
import dev.vigil.activities.config.SecretRef;
import dev.vigil.activities.embedded.FreePorts;
import dev.vigil.activities.testing.RedisFixture;
import dev.vigil.workflows.common.ErrorType;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RedisSnapshotterIT {
  @TempDir Path spool;
  private RedisFixture redis;
  private final RedisSnapshotter snapshotter = new RedisSnapshotter();
  private final RedisVerifier verifier = new RedisVerifier();

  @BeforeEach
  void start() {
    redis = RedisFixture.start();
  }

  @AfterEach
  void stop() {
    redis.close();
  }

  @Test
  void snapshotRecordsTheKeysOfEachDatabaseAndVerifies() {
    redis.fill(0, "user:", 1000);
    redis.fill(3, "session:", 10);
    for (int index = 0; index < 5; index++) {
      redis.command(3, "SET", "ttl:" + index, "x", "EX", "3600");
    }
    List<Long> progress = new ArrayList<>();

    RedisDump dump =
        snapshotter.dump(redis.sourceConfig("cache"), redis.password(), spool, progress::add);

    assertThat(dump.rdb()).isEqualTo(spool.resolve("dump.rdb")).isRegularFile();
    assertThat(dump.bytes()).isPositive();
    assertThat(progress).last().isEqualTo(dump.bytes());
    RedisSnapshotInfo info = RedisVerifier.read(dump.infoFile());
    assertThat(info.keys()).isEqualTo(Map.of(0, new DbKeys(1000, 0), 3, new DbKeys(15, 5)));
    assertThat(info.keysAtSnapshot()).isEqualTo(info.keys());
    assertThat(info.keysInFile()).isEqualTo(1015);
    assertThat(info.redisVersion()).matches("\\d+\\.\\d+\\.\\d+");
    assertThat(spool).isDirectoryNotContaining("glob:**/count");
    assertThat(verifier.verify(dump.rdb(), dump.infoFile(), bytes -> {})).isEqualTo(1015);
  }

  @Test
  void snapshotIsThePointItWasTakenNotLaterWrites() throws Exception {
    redis.fill(0, "before:", 200);
    RedisDump dump =
        snapshotter.dump(redis.sourceConfig("cache"), redis.password(), spool, b -> {});
    redis.fill(0, "after:", 50);

    assertThat(dump.info().keys()).isEqualTo(Map.of(0, new DbKeys(200, 0)));
    assertThat(verifier.verify(dump.rdb(), dump.infoFile(), b -> {})).isEqualTo(200);
  }

  @Test
  void aCancelledSnapshotStopsRedisCli() {
    redis.fill(0, "key:", 100);
    // The transfer stays pending past the first progress report, so redis-cli is still running.
    redis.delaySnapshots(5);
    // A cancelled activity's heartbeat throws: the first progress report does the same here.
    assertThatThrownBy(
            () ->
                snapshotter.dump(
                    redis.sourceConfig("cache"),
                    redis.password(),
                    spool,
                    bytes -> {
                      throw new IllegalStateException("cancelled");
                    }))
        .hasMessage("cancelled");

    assertThat(
            ProcessHandle.allProcesses()
                .filter(ProcessHandle::isAlive)
                .filter(
                    process -> process.info().commandLine().orElse("").contains(spool.toString())))
        .isEmpty();
  }

  @Test
  void corruptSnapshotIsInvalidInOneLine() throws Exception {
    redis.fill(0, "key:", 500);
    RedisDump dump =
        snapshotter.dump(redis.sourceConfig("cache"), redis.password(), spool, b -> {});
    try (RandomAccessFile file = new RandomAccessFile(dump.rdb().toFile(), "rw")) {
      long middle = file.length() / 2;
      file.seek(middle);
      byte[] bytes = new byte[8];
      file.readFully(bytes);
      for (int index = 0; index < bytes.length; index++) {
        bytes[index] = (byte) ~bytes[index];
      }
      file.seek(middle);
      file.write(bytes);
    }

    assertThatThrownBy(() -> verifier.verify(dump.rdb(), dump.infoFile(), b -> {}))
        .isInstanceOfSatisfying(
            VigilException.class,
            e -> {
              assertThat(e.type()).isEqualTo(ErrorType.DUMP_INVALID);
              assertThat(e.getMessage())
                  .startsWith(
                      "snapshot " + dump.rdb() + " is not a valid RDB: redis-check-rdb says")
                  .doesNotContain("\n");
            });
  }

  @Test
  void aDamagedKeyNameOfAnyBytesStillGivesOneLine() throws Exception {
    // A string key whose name is not UTF-8, then a value of an encoding that does not exist.
    Path rdb = spool.resolve("binary.rdb");
    byte[] header = "REDIS0010".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    byte[] records = {(byte) 0xfe, 0, 0, 2, (byte) 0xff, (byte) 0xfe, (byte) 0xff};
    Files.write(rdb, header);
    Files.write(rdb, records, java.nio.file.StandardOpenOption.APPEND);

    assertThatThrownBy(() -> verifier.verifyCount(rdb, 1, b -> {}))
        .isInstanceOfSatisfying(
            VigilException.class,
            e -> {
              assertThat(e.type()).isEqualTo(ErrorType.DUMP_INVALID);
              assertThat(e.getMessage())
                  .isEqualTo(
                      "snapshot "
                          + rdb
                          + " is not a valid RDB: redis-check-rdb says Unknown RDB string"
                          + " encoding type 63");
            });
  }

  @Test
  void truncatedSnapshotIsInvalid() throws Exception {
    redis.fill(0, "key:", 500);
    RedisDump dump =
        snapshotter.dump(redis.sourceConfig("cache"), redis.password(), spool, b -> {});
    try (RandomAccessFile file = new RandomAccessFile(dump.rdb().toFile(), "rw")) {
      file.setLength(file.length() - 20);
    }

    assertThatThrownBy(() -> verifier.verify(dump.rdb(), dump.infoFile(), b -> {}))
        .isInstanceOfSatisfying(
            VigilException.class,
            e -> {
              assertThat(e.type()).isEqualTo(ErrorType.DUMP_INVALID);
              assertThat(e.getMessage()).contains("Unexpected EOF").doesNotContain("\n");
            });
  }

  @Test
  void unreachableServerNamesTheSourceAndAddress() {
    int closed = FreePorts.find();
    RedisSourceConfig source =
        new RedisSourceConfig(
            "cache",
            "test-repo",
            "127.0.0.1",
            closed,
            null,
            SecretRef.NONE,
            false,
            "zstd",
            Objectives.NONE);

    assertThatThrownBy(() -> snapshotter.dump(source, null, spool, b -> {}))
        .isInstanceOfSatisfying(
            VigilException.class,
            e -> {
              assertThat(e.type()).isEqualTo(ErrorType.SOURCE_UNREACHABLE);
              assertThat(e.getMessage())
                  .isEqualTo(
                      "source 'cache': cannot connect to Redis at 127.0.0.1:"
                          + closed
                          + " (Connection refused)");
            });
    assertThat(spool.resolve("dump.rdb")).doesNotExist();
  }

  @Test
  void wrongPasswordFailsInOneLineWithoutThePassword() {
    String wrong = "not-the-password-" + redis.password().substring(3, 10);

    assertThatThrownBy(() -> snapshotter.dump(redis.sourceConfig("cache"), wrong, spool, b -> {}))
        .isInstanceOfSatisfying(
            VigilException.class,
            e -> {
              assertThat(e.type()).isEqualTo(ErrorType.AUTHENTICATION_FAILED);
              assertThat(e.getMessage())
                  .isEqualTo(
                      "source 'cache': Redis at 127.0.0.1:"
                          + redis.port()
                          + " refused the credentials; check the source's user and password")
                  .doesNotContain(wrong)
                  .doesNotContain(redis.password());
            });
  }

  @Test
  void aUserWithoutSyncIsRefusedNamingWhatItNeeds() {
    redis.command(0, "ACL", "SETUSER", "reader", "on", ">reader-pw", "-@all", "+info", "+ping");
    RedisSourceConfig source =
        new RedisSourceConfig(
            "cache",
            "test-repo",
            "127.0.0.1",
            redis.port(),
            "reader",
            SecretRef.NONE,
            false,
            "zstd",
            Objectives.NONE);

    assertThatThrownBy(() -> snapshotter.dump(source, "reader-pw", spool, b -> {}))
        .isInstanceOfSatisfying(
            VigilException.class,
            e -> {
              assertThat(e.type()).isEqualTo(ErrorType.DATABASE_PERMISSION_DENIED);
              assertThat(e.getMessage())
                  .startsWith(
                      "source 'cache': Redis at 127.0.0.1:"
                          + redis.port()
                          + " refused a command to user 'reader' (NOPERM")
                  .endsWith("a backup needs +info +ping +replconf +sync +psync")
                  .doesNotContain("\n");
            });
  }

  @Test
  void aLeastPrivilegeUserAndAnAppendOnlyServerAreEnough() {
    redis.command(0, "CONFIG", "SET", "appendonly", "yes");
    redis.fill(0, "k:", 10);
    redis.command(
        0,
        "ACL",
        "SETUSER",
        "vigil",
        "on",
        ">vigil-pw",
        "-@all",
        "+info",
        "+ping",
        "+replconf",
        "+sync",
        "+psync");
    RedisSourceConfig source =
        new RedisSourceConfig(
            "cache",
            "test-repo",
            "127.0.0.1",
            redis.port(),
            "vigil",
            SecretRef.NONE,
            false,
            "zstd",
            Objectives.NONE);

    RedisDump dump = snapshotter.dump(source, "vigil-pw", spool, b -> {});

    assertThat(dump.info().keys()).isEqualTo(Map.of(0, new DbKeys(10, 0)));
    assertThat(verifier.verify(dump.rdb(), dump.infoFile(), b -> {})).isEqualTo(10);
  }

  @Test
  void missingPasswordSaysNoneIsConfigured() {
    assertThatThrownBy(() -> snapshotter.dump(redis.sourceConfig("cache"), null, spool, b -> {}))
        .isInstanceOfSatisfying(
            VigilException.class,
            e -> {
              assertThat(e.type()).isEqualTo(ErrorType.AUTHENTICATION_FAILED);
              assertThat(e.getMessage()).contains("(no password is configured)");
            });
  }

  @Test
  void passwordTravelsInTheEnvironmentNotOnTheCommandLine() {
    ProcessBuilder builder =
        RedisCli.of(redis.sourceConfig("cache"), "s3cret-value").command(List.of("--rdb", "x"));

    assertThat(String.join(" ", builder.command())).doesNotContain("s3cret-value");
    assertThat(builder.environment()).containsEntry("REDISCLI_AUTH", "s3cret-value");
    assertThat(Files.exists(spool)).isTrue();
  }
}
