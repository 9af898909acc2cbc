package dev.vigil.activities.store;

/** How every kind of repository joins its configured key prefix and a relative key. */
final class KeyPrefix {
  private KeyPrefix() {}

  /** {@code value} without leading or trailing slashes. */
  static String trim(String value) {
    int start = 0;
    int end = value.length();
    while (start < end && value.charAt(start) == '/') {
      start++;
    }
    while (end > start && value.charAt(end - 1) == '/') {
      end--;
    }
    return value.substring(start, end);
  }

  /** The configured prefix, trimmed; empty when none is set. */
  static String of(String configured) {
    return configured == null ? "" : trim(configured);
  }

  /** The full key of {@code relativeKey} under {@code prefix} (already trimmed). */
  static String join(String prefix, String relativeKey) {
    String relative = trim(relativeKey);
    return prefix.isEmpty() ? relative : prefix + "/" + relative;
  }
}
