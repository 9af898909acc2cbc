package dev.vigil.infra.cli;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** {@code --since} values: an age ({@code 7d}, {@code 12h}, {@code 30m}), a date or an instant. */
final class Since {
  private static final Pattern AGE = Pattern.compile("(\\d+)([dhm])");

  private Since() {}

  /**
   * The instant {@code text} means at {@code now}.
   *
   * @throws IllegalArgumentException with the accepted forms when it means none
   */
  static Instant parse(String text, Instant now) {
    Matcher age = AGE.matcher(text.strip());
    if (age.matches()) {
      long amount = Long.parseLong(age.group(1));
      Duration duration =
          switch (age.group(2)) {
            case "d" -> Duration.ofDays(amount);
            case "h" -> Duration.ofHours(amount);
            default -> Duration.ofMinutes(amount);
          };
      return now.minus(duration);
    }
    try {
      return Instant.parse(text);
    } catch (DateTimeParseException notAnInstant) {
      try {
        return OffsetDateTime.parse(text).toInstant();
      } catch (DateTimeParseException notAnOffsetTime) {
        try {
          return LocalDate.parse(text).atStartOfDay(ZoneOffset.UTC).toInstant();
        } catch (DateTimeParseException e) {
          throw new IllegalArgumentException(
              "--since: expected an age such as 7d, 12h or 30m, a date such as 2026-11-20 or a"
                  + " time such as 2026-11-20T02:00:00Z, got \""
                  + text
                  + "\"");
        }
      }
    }
  }
}
