package dev.vigil.activities.source.redis;

import dev.vigil.activities.common.Json;
import dev.vigil.activities.common.VigilException;
import dev.vigil.workflows.common.ErrorType;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.function.LongConsumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Checks an RDB with Debian's {@code redis-check-rdb} (every record parsed, the trailing CRC64
 * compared) and that it holds as many keys as were counted when it was taken.
 */
public final class RedisVerifier {
  private static final Pattern KEYS_READ = Pattern.compile("\\[info\\] (\\d+) keys read");
  private static final Pattern ERROR_LINE =
      Pattern.compile("^\\[offset \\d+\\] (?!Checking|AUX|Selecting|Checksum OK|\\\\o/)(.*)$");

  /**
   * The number of keys in {@code rdb}; DUMP_INVALID in one line naming the file and what
   * redis-check-rdb found, or naming both counts when they differ from {@code infoFile}'s.
   */
  public long verify(Path rdb, Path infoFile, LongConsumer heartbeat) {
    return verifyCount(rdb, read(infoFile).keysInFile(), heartbeat);
  }

  /** As {@link #verify}, against a recorded count of every key in the file. */
  public long verifyCount(Path rdb, long recordedKeys, LongConsumer heartbeat) {
    Path output = rdb.resolveSibling("redis-check-rdb.out");
    String text;
    int exit;
    Process process = null;
    try {
      process =
          new ProcessBuilder("redis-check-rdb", rdb.toString())
              .redirectErrorStream(true)
              .redirectOutput(output.toFile())
              .start();
      while (!process.waitFor(1, TimeUnit.SECONDS)) {
        heartbeat.accept(Files.size(output));
      }
      exit = process.exitValue();
      // Decoded leniently: a damaged RDB makes redis-check-rdb print key names of any bytes.
      text = new String(Files.readAllBytes(output), StandardCharsets.UTF_8);
      Files.deleteIfExists(output);
    } catch (IOException e) {
      throw new VigilException(
          ErrorType.DUMP_FAILED, "cannot run redis-check-rdb on " + rdb + ": " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new VigilException(ErrorType.DUMP_FAILED, "redis-check-rdb interrupted");
    } finally {
      if (process != null && process.isAlive()) {
        process.destroyForcibly();
      }
    }
    Matcher read = KEYS_READ.matcher(text);
    if (exit != 0 || !text.contains("RDB looks OK") || !read.find()) {
      throw new VigilException(
          ErrorType.DUMP_INVALID,
          "snapshot " + rdb + " is not a valid RDB: redis-check-rdb says " + problem(text));
    }
    long keys = Long.parseLong(read.group(1));
    if (keys != recordedKeys) {
      throw new VigilException(
          ErrorType.DUMP_INVALID,
          "snapshot "
              + rdb
              + " holds "
              + keys
              + " keys but "
              + recordedKeys
              + " were recorded when it was taken");
    }
    return keys;
  }

  /** The side file the snapshot step wrote. */
  public static RedisSnapshotInfo read(Path infoFile) {
    try {
      return Json.MAPPER.readValue(infoFile.toFile(), RedisSnapshotInfo.class);
    } catch (IOException e) {
      throw new VigilException(
          ErrorType.SPOOL_MISSING, "cannot read spool file " + infoFile + ": " + e.getMessage());
    }
  }

  private static String problem(String text) {
    String detail = null;
    for (String line : text.split("\n")) {
      Matcher matcher = ERROR_LINE.matcher(line.strip());
      if (matcher.matches() && detail == null) {
        detail = matcher.group(1).strip();
      }
    }
    if (detail == null) {
      return "it is damaged";
    }
    // "Internal error in RDB reading offset 0, function at rdb.c:529 -> Unknown ..." reads
    // better as its reason alone.
    int arrow = detail.indexOf(" -> ");
    return arrow > 0 ? detail.substring(arrow + 4) : detail;
  }
}
