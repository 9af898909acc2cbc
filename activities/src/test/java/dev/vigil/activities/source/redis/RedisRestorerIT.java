package dev.vigil.activities.source.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vigil.activities.common.VigilException;
import dev.vigil.activities.config.ValidationConfig;
import dev.vigil.activities.testing.RedisFixture;
import dev.vigil.workflows.common.ErrorType;
import dev.vigil.workflows.restore.ValidationResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RedisRestorerIT {
  @TempDir Path work;
  private RedisFixture redis;
  private RedisDump dump;
  private final RedisRestorer restorer = new RedisRestorer();
  private final RedisValidator validator = new RedisValidator();
  private final FreshRedisServers servers = FreshRedisServers.shared();

  @BeforeEach
  void backUp() throws Exception {
    redis = RedisFixture.start();
    redis.fill(0, "user:", 300);
    redis.fill(2, "cart:", 20);
    redis.command(0, "SADD", "config:flags", "a", "b", "c");
    Files.createDirectories(work.resolve("spool"));
    dump =
        new RedisSnapshotter()
            .dump(redis.sourceConfig("cache"), redis.password(), work.resolve("spool"), b -> {});
  }

  @AfterEach
  void stop() {
    servers.stopAll("test-");
    redis.close();
  }

  @Test
  void freshServerHoldsTheRecordedKeysAndPassesTheChecks() {
    LocalRedis server =
        servers.start(
            "test-fresh", dump.rdb(), work.resolve("fresh"), Duration.ofMinutes(1), t -> {});

    ValidationResult result =
        validator.validate(
            server.cli(),
            server.loaded(),
            server.expiredAtLoad(),
            dump.info(),
            List.of(
                new ValidationConfig("flags", "SCARD config:flags", "= 3"),
                new ValidationConfig("carts", "db2: DBSIZE", ">= 20")));

    assertThat(result.failures()).isEmpty();
    assertThat(result.passed()).isTrue();
    assertThat(result.checks())
        .contains(
            "db0: 301 keys as recorded",
            "db2: 20 keys as recorded",
            "all 321 keys of the RDB accounted for (321 loaded, 0 expired)",
            "flags: SCARD config:flags = 3 (expected = 3)",
            "carts: DBSIZE = 20 (expected >= 20)");
    assertThat(server.cli().address()).startsWith("127.0.0.1:");
    assertThat(server.cli().run(0, "GET", "user:7").strip()).isEqualTo("value-7");
  }

  @Test
  void aMissingKeyOrFailedCheckFailsValidation() {
    LocalRedis server =
        servers.start(
            "test-lost", dump.rdb(), work.resolve("fresh"), Duration.ofMinutes(1), t -> {});
    server.cli().run(2, "DEL", "cart:3");

    ValidationResult result =
        validator.validate(
            server.cli(),
            server.loaded(),
            server.expiredAtLoad(),
            dump.info(),
            List.of(new ValidationConfig("flags", "EXISTS config:missing", "= 1")));

    assertThat(result.passed()).isFalse();
    assertThat(result.failures())
        .containsExactly(
            "db2: 19 keys, but the backup recorded 20",
            "flags: EXISTS config:missing = 0 (expected = 1)");
  }

  @Test
  void keysWhoseTimeToLivePassedSinceTheBackupAreAccountedFor() throws Exception {
    // The short time to live outlasts the backup and its counting load (well under a second; the
    // assertion on the recorded keys proves it did), and has passed at the restore.
    redis.command(0, "SET", "short", "x", "PX", "4000");
    redis.command(0, "SET", "long", "x", "EX", "3600");
    Path spool = work.resolve("spool2");
    Files.createDirectories(spool);
    RedisDump withTtl =
        new RedisSnapshotter().dump(redis.sourceConfig("cache"), redis.password(), spool, b -> {});
    assertThat(withTtl.info().keys().get(0)).isEqualTo(new DbKeys(303, 2));
    // The source's own clock says when the time to live has passed (a read of an expired key
    // deletes it): the restore starts after that, not after a fixed sleep.
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (!redis.command(0, "EXISTS", "short").strip().equals("0")) {
      assertThat(System.nanoTime()).as("the key 'short' expires").isLessThan(deadline);
      Thread.sleep(50);
    }

    LocalRedis server =
        servers.start(
            "test-ttl", withTtl.rdb(), work.resolve("fresh"), Duration.ofMinutes(1), t -> {});
    ValidationResult result =
        validator.validate(
            server.cli(), server.loaded(), server.expiredAtLoad(), withTtl.info(), List.of());

    assertThat(server.expiredAtLoad()).isEqualTo(1);
    assertThat(result.failures()).isEmpty();
    assertThat(result.checks())
        .contains(
            "db0: 302 keys of 303 recorded (1 with a time to live expired since)",
            "all 323 keys of the RDB accounted for (322 loaded, 1 expired)");
  }

  @Test
  void freshServerIsStoppedAndItsDirectoryRemoved() {
    Path dir = work.resolve("fresh");
    LocalRedis server = servers.start("test-stop", dump.rdb(), dir, Duration.ofMinutes(1), t -> {});
    ProcessHandle handle = ProcessHandle.of(server.pid()).orElseThrow();

    servers.stop("test-stop");

    assertThat(handle.isAlive()).isFalse();
    assertThat(dir).doesNotExist();
    assertThat(servers.find("test-stop")).isEmpty();
  }

  @Test
  void directoryRestoreLeavesOnlyTheRdb() throws Exception {
    Path target = work.resolve("restored");

    Path rdb = restorer.toDirectory(dump.rdb(), target, "r1", false);

    assertThat(rdb).isEqualTo(target.resolve("dump.rdb"));
    try (var files = Files.list(target)) {
      assertThat(files.map(path -> path.getFileName().toString())).containsExactly("dump.rdb");
    }
    assertThat(new RedisVerifier().verify(rdb, dump.infoFile(), b -> {})).isEqualTo(321);
  }

  @Test
  void directoryRestoreRefusesANonEmptyTargetUnlessForced() throws Exception {
    Path target = work.resolve("restored");
    Files.createDirectories(target);
    Files.writeString(target.resolve("appendonly.aof"), "old");

    assertThatThrownBy(() -> restorer.toDirectory(dump.rdb(), target, "r2", false))
        .isInstanceOfSatisfying(
            VigilException.class, e -> assertThat(e.type()).isEqualTo(ErrorType.TARGET_NOT_EMPTY));
    assertThat(target.resolve("appendonly.aof")).hasContent("old");
    assertThat(dump.rdb()).exists();

    restorer.toDirectory(dump.rdb(), target, "r2", true);

    try (var files = Files.list(target)) {
      assertThat(files.map(path -> path.getFileName().toString())).containsExactly("dump.rdb");
    }
  }

  @Test
  void damagedRdbDoesNotStartAFreshServer() throws Exception {
    Files.write(dump.rdb(), new byte[] {'R', 'E', 'D', 'I', 'S', '0', '0', '1', '0', 1, 2, 3});

    assertThatThrownBy(
            () ->
                servers.start(
                    "test-bad", dump.rdb(), work.resolve("fresh"), Duration.ofMinutes(1), t -> {}))
        .isInstanceOfSatisfying(
            VigilException.class,
            e -> {
              assertThat(e.type()).isEqualTo(ErrorType.RESTORE_FAILED);
              assertThat(e.getMessage())
                  .startsWith("redis-server could not load ")
                  .doesNotContain("\n");
            });
  }
}
