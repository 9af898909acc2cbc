package dev.vigil.activities.config;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Byte sizes as people write them: {@code 16MiB}, {@code 5MB}, {@code 1048576}. */
public final class Sizes {
  private static final Pattern SIZE =
      Pattern.compile("(\\d+)\\s*(b|kb|kib|mb|mib|gb|gib|k|m|g)?", Pattern.CASE_INSENSITIVE);

  private Sizes() {}

  /** Parses a size; binary and decimal units are both accepted. */
  public static long parse(String text) {
    Matcher matcher = SIZE.matcher(text.trim());
    if (!matcher.matches()) {
      throw new IllegalArgumentException(
          "expected a size such as 16MiB, 64MB or 1048576, got \"" + text + "\"");
    }
    long amount = Long.parseLong(matcher.group(1));
    String unit = matcher.group(2) == null ? "b" : matcher.group(2).toLowerCase(Locale.ROOT);
    return switch (unit) {
      case "kb" -> amount * 1000;
      case "kib", "k" -> amount * 1024;
      case "mb" -> amount * 1000_000;
      case "mib", "m" -> amount * 1024 * 1024;
      case "gb" -> amount * 1000_000_000;
      case "gib", "g" -> amount * 1024 * 1024 * 1024;
      default -> amount;
    };
  }

  /** Human form with binary units: {@code 1.5 GiB}, {@code 312.0 KiB}, {@code 17 B}. */
  public static String format(long bytes) {
    if (bytes < 1024) {
      return bytes + " B";
    }
    String[] units = {"KiB", "MiB", "GiB", "TiB"};
    double value = bytes;
    int unit = -1;
    while (value >= 1024 && unit < units.length - 1) {
      value /= 1024;
      unit++;
    }
    return String.format(Locale.ROOT, "%.1f %s", value, units[unit]);
  }
}
