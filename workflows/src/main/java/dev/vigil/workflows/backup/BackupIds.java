package dev.vigil.workflows.backup;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/** The timestamps that business ids are made of: UTC, to the second, sortable. */
public final class BackupIds {
  private static final DateTimeFormatter TIMESTAMP =
      DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);

  private BackupIds() {}

  /** e.g. {@code 20261122T020000Z}. */
  public static String timestamp(long epochMillis) {
    return TIMESTAMP.format(Instant.ofEpochMilli(epochMillis));
  }

  /** The backup id of a source in a set: {@code <source>-<timestamp>}. */
  public static String backupId(String source, String timestamp) {
    return source + "-" + timestamp;
  }
}
