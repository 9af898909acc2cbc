package dev.vigil.activities.config;

import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/** Parses the top-level {@code notifications:} section: named channels, none by default. */
final class NotificationConfigParser {
  private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9_-]{0,62}");
  private static final Set<String> TYPES =
      Set.of(NotificationChannelConfig.WEBHOOK, NotificationChannelConfig.SLACK);
  private static final List<String> OUTCOMES = List.of("success", "failure");
  private static final List<String> EVENTS = List.of("backup", "drill", "report");

  private NotificationConfigParser() {}

  static Map<String, NotificationChannelConfig> parse(ConfigNode section) {
    Map<String, NotificationChannelConfig> channels = new LinkedHashMap<>();
    for (ConfigNode entry : section.entries()) {
      if (!NAME.matcher(entry.key).matches()) {
        entry.problem(
            "", "channel names are lower-case letters, digits, '_' and '-' (logs name them)");
        continue;
      }
      if (!entry.value.isObject()) {
        entry.problem("", "expected a mapping with type and url-env or url-file");
        continue;
      }
      entry.allow("type", "url-env", "url-file", "on", "events");
      String type = entry.oneOf("type", null, TYPES);
      Set<String> on = choices(entry, "on", OUTCOMES);
      Set<String> events = choices(entry, "events", EVENTS);
      SecretRef url = entry.secret("url", true);
      if (type != null) {
        channels.put(entry.key, new NotificationChannelConfig(entry.key, type, url, on, events));
      }
    }
    return channels;
  }

  /** A list drawn from {@code allowed}; all of them when absent. */
  private static Set<String> choices(ConfigNode entry, String field, List<String> allowed) {
    List<String> given = entry.names(field, allowed.toString());
    if (given.isEmpty()) {
      if (entry.value.has(field) && entry.value.get(field).isArray()) {
        entry.problem(
            field, "expected one or more of " + allowed + "; an empty list sends nothing");
      }
      return new LinkedHashSet<>(allowed);
    }
    Set<String> chosen = new LinkedHashSet<>();
    for (String value : given) {
      if (!allowed.contains(value)) {
        entry.problem(field, "expected one or more of " + allowed + ", got \"" + value + "\"");
      } else {
        chosen.add(value);
      }
    }
    return chosen;
  }
}
