package dev.vigil.activities.config;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Durations as people write them in config: {@code 90s}, {@code 15m}, {@code 24h}, {@code 7d}. */
public final class Durations {
  private static final Pattern SIMPLE = Pattern.compile("(\\d+)\\s*(ms|s|m|h|d|w)");

  private Durations() {}

  /**
   * Parses {@code 90s}, {@code 15m}, {@code 24h}, {@code 7d}, {@code 2w} or ISO-8601 {@code PT1H}.
   */
  public static Duration parse(String text) {
    String trimmed = text.trim();
    Matcher matcher = SIMPLE.matcher(trimmed);
    if (matcher.matches()) {
      long amount = Long.parseLong(matcher.group(1));
      return switch (matcher.group(2)) {
        case "ms" -> Duration.ofMillis(amount);
        case "s" -> Duration.ofSeconds(amount);
        case "m" -> Duration.ofMinutes(amount);
        case "h" -> Duration.ofHours(amount);
        case "d" -> Duration.ofDays(amount);
        default -> Duration.ofDays(7 * amount);
      };
    }
    try {
      return Duration.parse(trimmed);
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException(
          "expected a duration such as 90s, 15m, 24h, 7d or PT1H, got \"" + text + "\"");
    }
  }

  /** Short human form: {@code 1h 5m}, {@code 12.3s}. */
  public static String format(Duration duration) {
    long seconds = duration.toSeconds();
    if (seconds < 60) {
      return String.format("%.1fs", duration.toMillis() / 1000.0);
    }
    if (seconds < 3600) {
      return (seconds / 60) + "m " + (seconds % 60) + "s";
    }
    if (seconds < 86400) {
      return (seconds / 3600) + "h " + (seconds % 3600 / 60) + "m";
    }
    return (seconds / 86400) + "d " + (seconds % 86400 / 3600) + "h";
  }
}
