package dev.vigil.activities.config;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Parses {@code sources.<name>.archive-rows}: a mapping from table name ({@code table} or {@code
 * schema.table}) to its timestamp column, key column and age. Names become quoted SQL identifiers,
 * so they are checked here against a strict pattern.
 */
public final class RowArchivalConfigParser {
  private static final Pattern IDENTIFIER = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,62}");

  private RowArchivalConfigParser() {}

  /** The source's row archival, or null when it has none. */
  public static RowArchivalConfig parse(ConfigNode source) {
    ConfigNode node = source.child("archive-rows");
    if (node.missing()) {
      return null;
    }
    List<RowArchivalConfig.Table> tables = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    // ConfigNode.key ends at the last dot, so a qualified table name is read from the mapping.
    List<String> names = new ArrayList<>();
    node.value.fieldNames().forEachRemaining(names::add);
    List<ConfigNode> entries = node.entries();
    for (int index = 0; index < entries.size(); index++) {
      ConfigNode entry = entries.get(index);
      String name = names.get(index);
      if (!entry.value.isObject()) {
        entry.problem(
            "",
            "expected a mapping such as {timestamp-column: started_at, older-than: 90d,"
                + " key-column: id}");
        continue;
      }
      entry.allow(
          "timestamp-column", "key-column", "older-than", "archived-column", "archive-key-column");
      String[] parts = name.split("\\.", -1);
      String schema = parts.length == 2 ? parts[0] : "public";
      String table = parts[parts.length - 1];
      if (parts.length > 2
          || !IDENTIFIER.matcher(schema).matches()
          || !IDENTIFIER.matcher(table).matches()) {
        entry.problem("", "expected a table name such as conversations or app.conversations");
        continue;
      }
      if (!seen.add(schema + "." + table)) {
        entry.problem("", "table " + schema + "." + table + " is listed twice");
        continue;
      }
      String timestamp = identifier(entry, "timestamp-column", null);
      String key = identifier(entry, "key-column", "id");
      String archived = identifier(entry, "archived-column", "archived");
      String archiveKey = identifier(entry, "archive-key-column", "archive_key");
      Duration olderThan = entry.duration("older-than");
      if (olderThan == null && !entry.value.has("older-than")) {
        entry.problem("older-than", "missing; rows older than this are archived, e.g. 90d");
      }
      if (timestamp != null && olderThan != null) {
        tables.add(
            new RowArchivalConfig.Table(
                schema, table, timestamp, key, olderThan, archived, archiveKey));
      }
    }
    if (tables.isEmpty() && node.entries().isEmpty()) {
      node.problem("", "name at least one table, e.g. conversations: {timestamp-column: ...}");
    }
    return new RowArchivalConfig(source.key, List.copyOf(tables));
  }

  private static String identifier(ConfigNode entry, String field, String fallback) {
    String name = fallback == null ? entry.requiredText(field) : entry.text(field, fallback);
    if (name != null && !IDENTIFIER.matcher(name).matches()) {
      entry.problem(field, "expected a column name (letters, digits, '_'), got \"" + name + "\"");
      return null;
    }
    return name;
  }
}
