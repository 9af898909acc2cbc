package dev.vigil.starter.api;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Parses request fields; a bad value is a 400 INVALID_REQUEST naming the field and an example. */
final class Fields {
  private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9_-]{0,62}");
  private static final Pattern LSN = Pattern.compile("[0-9A-Fa-f]{1,8}/[0-9A-Fa-f]{1,8}");
  private static final Pattern AGE = Pattern.compile("([0-9]{1,6})([mhdw])");

  private Fields() {}

  /** A source, plan or token name as vigil.yaml allows them; null stays null. */
  static String name(String field, String value) {
    if (value != null && !NAME.matcher(value).matches()) {
      throw ApiException.invalid(
          field,
          "expected a name of lower-case letters, digits, '_' and '-' such as appdb, got "
              + quoted(value));
    }
    return value;
  }

  /** An ISO-8601 time ({@code 2026-11-20T02:00:00Z} or with an offset); null stays null. */
  static Instant instant(String field, String value) {
    if (value == null) {
      return null;
    }
    try {
      return Instant.parse(value);
    } catch (DateTimeParseException notAnInstant) {
      try {
        return OffsetDateTime.parse(value).toInstant();
      } catch (DateTimeParseException e) {
        throw ApiException.invalid(
            field, "expected an ISO-8601 time such as 2026-11-20T02:00:00Z, got " + quoted(value));
      }
    }
  }

  /** A WAL location as PostgreSQL shows one ({@code 0/5000028}), upper-cased; null stays null. */
  static String lsn(String field, String value) {
    if (value == null) {
      return null;
    }
    if (!LSN.matcher(value).matches()) {
      throw ApiException.invalid(
          field,
          "expected an LSN as PostgreSQL shows one, such as 0/5000028, got " + quoted(value));
    }
    return value.toUpperCase(java.util.Locale.ROOT);
  }

  /** An age back from now ({@code 30m}, {@code 24h}, {@code 7d}, {@code 2w}) or an ISO time. */
  static Instant since(String field, String value, Clock clock) {
    if (value == null) {
      return null;
    }
    Matcher age = AGE.matcher(value);
    if (age.matches()) {
      long amount = Long.parseLong(age.group(1));
      Duration duration =
          switch (age.group(2)) {
            case "m" -> Duration.ofMinutes(amount);
            case "h" -> Duration.ofHours(amount);
            case "d" -> Duration.ofDays(amount);
            default -> Duration.ofDays(7 * amount);
          };
      return clock.instant().minus(duration);
    }
    try {
      return instant(field, value);
    } catch (ApiException e) {
      throw ApiException.invalid(
          field,
          "expected an age such as 7d, 24h, 30m or an ISO-8601 time such as"
              + " 2026-11-20T02:00:00Z, got "
              + quoted(value));
    }
  }

  /** A UTC day {@code YYYY-MM-DD}; null stays null. */
  static LocalDate date(String field, String value) {
    if (value == null) {
      return null;
    }
    try {
      return LocalDate.parse(value);
    } catch (DateTimeParseException e) {
      throw ApiException.invalid(
          field, "expected a date YYYY-MM-DD such as 2026-11-20, got " + quoted(value));
    }
  }

  /** A count from 1 to {@code max}. */
  static int limit(String field, int value, int max) {
    if (value < 1 || value > max) {
      throw ApiException.invalid(field, "expected 1 to " + max + ", got " + value);
    }
    return value;
  }

  static String quoted(String value) {
    String shown = value.length() > 64 ? value.substring(0, 64) + "..." : value;
    return "\"" + shown.replace("\"", "\\\"") + "\"";
  }
}
