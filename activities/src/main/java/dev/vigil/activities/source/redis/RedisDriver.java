package dev.vigil.activities.source.redis;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import dev.vigil.activities.backup.DumpMeta;
import dev.vigil.activities.backup.Spool;
import dev.vigil.activities.common.Json;
import dev.vigil.activities.common.VigilException;
import dev.vigil.activities.config.ConfigNode;
import dev.vigil.activities.config.SourceConfig;
import dev.vigil.activities.config.ValidationConfig;
import dev.vigil.activities.config.ValidationConfigParser;
import dev.vigil.activities.restore.RestoreRoots;
import dev.vigil.activities.restore.RestoreStep;
import dev.vigil.activities.source.DrillScratch;
import dev.vigil.activities.source.DumpStep;
import dev.vigil.activities.source.SourceDriver;
import dev.vigil.activities.source.SourceDump;
import dev.vigil.activities.source.SourceSpec;
import dev.vigil.workflows.common.ErrorType;
import dev.vigil.workflows.drill.DrillSource;
import dev.vigil.workflows.restore.RestoreTarget;
import dev.vigil.workflows.restore.SelectedBackup;
import dev.vigil.workflows.restore.ValidationResult;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Redis ({@code type: redis}): an RDB snapshot taken over the replication protocol ({@code
 * redis-cli --rdb}, the point of the server's fork), its keys per database counted by loading it,
 * checked with {@code redis-check-rdb}; restored as {@code dump.rdb} into a directory, or into a
 * fresh redis-server on 127.0.0.1 (the restore's {@code fresh-cluster} target and drills), which is
 * validated by its key counts and the source's configured checks.
 */
public final class RedisDriver implements SourceDriver {
  private static final Logger log = LoggerFactory.getLogger(RedisDriver.class);

  /** The format of a Redis backup: one RDB file. */
  public static final String FORMAT = "redis-rdb";

  /** What a restore asks for (the CLI's {@code --fresh-cluster}, a drill). */
  static final String FRESH_REQUEST = "fresh-cluster";

  /** What a restore into a fresh server says it restored into. */
  public static final String FRESH_SERVER = "fresh-server";

  /** The directory under the spool root that fresh servers live in. */
  public static final String SERVERS = "redis-servers";

  private static final Duration LOAD_TIMEOUT = Duration.ofHours(1);

  private final RedisSnapshotter snapshotter = new RedisSnapshotter(LOAD_TIMEOUT);
  private final RedisVerifier verifier = new RedisVerifier();
  private final RedisRestorer restorer = new RedisRestorer();
  private final RedisValidator validator = new RedisValidator();

  @Override
  public String type() {
    return RedisSourceConfig.TYPE;
  }

  @Override
  public Set<String> formats() {
    return Set.of(FORMAT);
  }

  @Override
  public SourceConfig parse(SourceSpec spec) {
    ConfigNode source = spec.node();
    spec.allow("validations", "host", "port", "user", "password-env", "password-file", "tls");
    spec.validations().put(source.key, ValidationConfigParser.parse(source));
    return new RedisSourceConfig(
        source.key,
        spec.repository(),
        source.requiredText("host"),
        source.integer("port", 6379, 1, 65535),
        source.text("user", null),
        source.secret("password", false),
        source.bool("tls", false),
        spec.compression(),
        spec.objectives());
  }

  @Override
  public SourceDump dump(SourceConfig configured, DumpStep step) {
    RedisSourceConfig source = (RedisSourceConfig) configured;
    String password = step.services().secret(source.password(), "source '" + source.name() + "'");
    RedisDump dump = snapshotter.dump(source, password, step.dir(), step.heartbeat()::accept);
    RedisSnapshotInfo info = dump.info();
    return new SourceDump(
        new DumpMeta(FORMAT, RedisSnapshotter.RDB, RedisSnapshotter.INFO, List.of()),
        dump.bytes(),
        info.keysInFile(),
        0,
        Instant.parse(info.consistentAt()),
        "redis-cli --rdb",
        info.redisVersion());
  }

  @Override
  public long verify(DumpMeta meta, Path raw, Path listFile, DumpStep step) {
    return verifier.verify(raw, listFile, step.heartbeat()::accept);
  }

  @Override
  public void writeManifest(JsonGenerator json, DumpMeta meta, Path listFile) throws IOException {
    json.writeFieldName("redis");
    json.writeTree(Json.MAPPER.readTree(listFile.toFile()));
  }

  @Override
  public String restoreFileName(String format) {
    return LocalRedis.RDB;
  }

  @Override
  public void checkTarget(RestoreStep step) {
    RestoreTarget target = step.target();
    if (target != null && FRESH_REQUEST.equals(target.type())) {
      return;
    }
    Path into = directoryTarget(step);
    restorer.checkTarget(into, step.force() || step.claimedBefore());
    RestoreRoots.requireWritable(into);
  }

  @Override
  public RestoreTarget restore(RestoreStep step) {
    RestoreTarget target = step.target();
    if (target != null && FRESH_REQUEST.equals(target.type())) {
      Path dir = step.services().spool().root().resolve(SERVERS).resolve(step.restoreId());
      LocalRedis server =
          FreshRedisServers.shared()
              .start(step.restoreId(), step.plain(), dir, LOAD_TIMEOUT, step.heartbeat()::accept);
      log.info(
          "restore {}: fresh redis-server on 127.0.0.1:{} (RDB in {})",
          step.restoreId(),
          server.port(),
          dir);
      return new RestoreTarget(
          FRESH_SERVER, "127.0.0.1", server.port(), null, null, null, dir.toString());
    }
    // Checked again here, on the host that writes: a request cannot skip the check step.
    Path into = directoryTarget(step);
    boolean replace = step.force() || step.claimedBefore();
    restorer.checkTarget(into, replace);
    step.claim();
    restorer.toDirectory(step.plain(), into, step.restoreId(), replace);
    return RestoreTarget.directory(into.toString());
  }

  @Override
  public ValidationResult validate(RestoreStep step) {
    RedisSnapshotInfo recorded = recorded(step);
    RestoreTarget target = step.target();
    if (FRESH_SERVER.equals(target.type())) {
      LocalRedis server =
          FreshRedisServers.shared()
              .find(step.restoreId())
              .orElseThrow(
                  () ->
                      new VigilException(
                          ErrorType.RESTORE_FAILED,
                          "restore "
                              + step.restoreId()
                              + ": its fresh redis-server on port "
                              + target.port()
                              + " is no longer running on this worker; restore again"));
      List<ValidationConfig> checks =
          step.services()
              .config()
              .validations()
              .getOrDefault(step.backup().source().name(), List.of());
      return validator.validate(
          server.cli(), server.loaded(), server.expiredAtLoad(), recorded, checks);
    }
    // A directory restore: the file is whole and holds every key the backup recorded.
    Path rdb = Path.of(target.directory()).resolve(LocalRedis.RDB);
    try {
      long keys = verifier.verifyCount(rdb, recorded.keysInFile(), step.heartbeat()::accept);
      return new ValidationResult(
          true,
          List.of(LocalRedis.RDB + ": redis-check-rdb passes, " + keys + " keys as recorded"),
          List.of());
    } catch (VigilException e) {
      if (e.type() != ErrorType.DUMP_INVALID) {
        throw e;
      }
      return new ValidationResult(false, List.of(), List.of(e.getMessage()));
    }
  }

  @Override
  public RestoreTarget drillTarget(DrillSource source, DrillScratch drill) {
    return new RestoreTarget(FRESH_REQUEST, null, 0, null, null, null, null);
  }

  @Override
  public void tearDownDrill(String drillId) {
    FreshRedisServers.shared().stopAll(drillId + "-restore-");
  }

  @Override
  public void stopFresh(String restoreId) {
    FreshRedisServers.shared().stop(restoreId);
  }

  /** What the backup's manifest recorded about the snapshot. */
  private static RedisSnapshotInfo recorded(RestoreStep step) {
    Path manifest = step.services().spool().existing(step.restoreId(), Spool.MANIFEST);
    try {
      JsonNode redis = Json.MAPPER.readTree(manifest.toFile()).path("redis");
      if (!redis.isObject()) {
        throw new VigilException(
            ErrorType.MANIFEST_INVALID,
            "manifest of backup '" + step.backup().backupId() + "' records no Redis key counts");
      }
      return Json.MAPPER.treeToValue(redis, RedisSnapshotInfo.class);
    } catch (IOException e) {
      throw new VigilException(
          ErrorType.MANIFEST_INVALID, "manifest " + manifest + " is unreadable: " + e.getMessage());
    }
  }

  private static Path directoryTarget(RestoreStep step) {
    SelectedBackup backup = step.backup();
    RestoreTarget target = step.target();
    if (target == null || !"directory".equals(target.type()) || target.directory() == null) {
      throw new VigilException(
          ErrorType.INVALID_CONFIG,
          "backup '"
              + backup.backupId()
              + "' is a Redis snapshot; restore it into a directory (--target-dir) or a fresh"
              + " redis-server (--fresh-cluster)");
    }
    return step.roots().check(target.directory());
  }
}
