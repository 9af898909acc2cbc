package dev.vigil.activities.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Parses {@code sources.<name>.retention}. Every contradiction is reported here, before anything
 * runs: negative counts, unknown or non-cold storage classes, checkpoint rules on a source that is
 * not a model directory, cold copies deleted before they are made.
 */
public final class RetentionConfigParser {
  /** Storage classes a copy can be archived to: cheaper than STANDARD to keep. */
  static final Set<String> COLD_CLASSES =
      Set.of("GLACIER", "DEEP_ARCHIVE", "GLACIER_IR", "STANDARD_IA", "ONEZONE_IA");

  /** Artifact types of a model directory and how long a local copy stays by default. */
  static final Map<String, Duration> CHECKPOINT_DEFAULTS = checkpointDefaults();

  private static final List<String> FIELDS =
      List.of(
          "keep-last",
          "keep-daily",
          "keep-weekly",
          "keep-monthly",
          "keep-yearly",
          "keep-within",
          "archive-after",
          "archive-unused-after",
          "archive-storage-class",
          "delete-archived-after",
          "checkpoints");

  private RetentionConfigParser() {}

  /** The source's policy, or null when it has none. */
  public static RetentionConfig parse(ConfigNode source) {
    ConfigNode node = source.child("retention");
    if (node.missing()) {
      return null;
    }
    node.allow(FIELDS.toArray(String[]::new));
    int keepLast = count(node, "keep-last");
    int keepDaily = count(node, "keep-daily");
    int keepWeekly = count(node, "keep-weekly");
    int keepMonthly = count(node, "keep-monthly");
    int keepYearly = count(node, "keep-yearly");
    Duration keepWithin = node.duration("keep-within");
    Duration archiveAfter = node.duration("archive-after");
    Duration archiveUnusedAfter = node.duration("archive-unused-after");
    String storageClass =
        node.oneOf("archive-storage-class", RetentionConfig.DEFAULT_COLD_CLASS, COLD_CLASSES);
    Duration deleteArchivedAfter = node.duration("delete-archived-after");
    if (deleteArchivedAfter != null) {
      if (archiveAfter == null && archiveUnusedAfter == null) {
        node.problem(
            "delete-archived-after",
            "nothing is archived without archive-after or archive-unused-after; set one, or drop"
                + " delete-archived-after");
      } else if (archiveAfter != null && deleteArchivedAfter.compareTo(archiveAfter) <= 0) {
        node.problem(
            "delete-archived-after",
            "must be longer than archive-after ("
                + Durations.format(archiveAfter)
                + "); cold copies would be deleted before they are made");
      }
    }
    Map<String, Duration> checkpoints = checkpoints(source, node.child("checkpoints"));
    return new RetentionConfig(
        keepLast,
        keepDaily,
        keepWeekly,
        keepMonthly,
        keepYearly,
        keepWithin,
        archiveAfter,
        archiveUnusedAfter,
        storageClass == null ? RetentionConfig.DEFAULT_COLD_CLASS : storageClass,
        deleteArchivedAfter,
        checkpoints);
  }

  /** A count: 0 or more, or {@code unlimited}. */
  private static int count(ConfigNode node, String field) {
    JsonNode value = node.value.get(field);
    if (value == null || value.isNull()) {
      return 0;
    }
    if (value.isTextual() && value.asText().equals("unlimited")) {
      return RetentionConfig.UNLIMITED;
    }
    if (!value.isIntegralNumber() || !value.canConvertToInt() || value.asInt() < 0) {
      node.problem(
          field,
          "expected a whole number of 0 or more, or \"unlimited\", got " + ConfigNode.given(value));
      return 0;
    }
    return value.asInt();
  }

  private static Map<String, Duration> checkpoints(ConfigNode source, ConfigNode node) {
    boolean modelDirectory =
        "directory".equals(source.text("type", null)) && "model".equals(source.text("kind", null));
    if (node.missing()) {
      return modelDirectory ? CHECKPOINT_DEFAULTS : Map.of();
    }
    if (!modelDirectory) {
      node.problem(
          "",
          "checkpoint rules apply to model directories only (type: directory, kind: model);"
              + " remove retention.checkpoints from this source");
      return Map.of();
    }
    node.allow(CHECKPOINT_DEFAULTS.keySet().toArray(String[]::new));
    Map<String, Duration> ages = new LinkedHashMap<>(CHECKPOINT_DEFAULTS);
    for (String type : CHECKPOINT_DEFAULTS.keySet()) {
      if (!node.value.has(type)) {
        continue;
      }
      if ("forever".equals(node.text(type, null))) {
        ages.put(type, null);
      } else {
        Duration age = node.duration(type);
        if (age != null) {
          ages.put(type, age);
        }
      }
    }
    return Collections.unmodifiableMap(ages);
  }

  private static Map<String, Duration> checkpointDefaults() {
    Map<String, Duration> defaults = new LinkedHashMap<>();
    defaults.put("checkpoint", Duration.ofDays(7));
    defaults.put("best", Duration.ofDays(90));
    defaults.put("production", null);
    defaults.put("rollback", Duration.ofDays(30));
    return Collections.unmodifiableMap(defaults);
  }
}
