package dev.vigil.workflows.common;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.BitSet;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * A five-field cron expression ({@code minute hour day-of-month month day-of-week}, UTC), as cron
 * workflows and Temporal Schedules read it: {@code *}, values, ranges {@code a-b}, lists {@code
 * a,b}, steps {@code * /n} and {@code a-b/n}, month names JAN-DEC, weekday names SUN-SAT (0 and 7
 * are Sunday), {@code ?} for {@code *} in the day fields. As in Vixie cron, when both day fields
 * are restricted a day matches either. Pure Java, no I/O: the config parser validates with it, the
 * scheduler derives next runs and intervals from it.
 */
public final class Cron {
  private static final String[] FIELD_NAMES = {
    "minute", "hour", "day-of-month", "month", "day-of-week"
  };
  private static final int[] MIN = {0, 0, 1, 1, 0};
  private static final int[] MAX = {59, 23, 31, 12, 7};
  private static final Map<String, Integer> MONTHS =
      names("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC");
  private static final Map<String, Integer> WEEKDAYS =
      Map.of("SUN", 0, "MON", 1, "TUE", 2, "WED", 3, "THU", 4, "FRI", 5, "SAT", 6);

  /** Interval and validity are computed over the runs after this fixed instant (deterministic). */
  private static final Instant REFERENCE = Instant.parse("2024-01-01T00:00:00Z");

  /** A schedule whose runs are further apart than this never fires (e.g. 30 February). */
  private static final long HORIZON_YEARS = 8;

  private static final int INTERVAL_SAMPLES = 2000;

  private final String expression;
  private final BitSet minutes;
  private final BitSet hours;
  private final BitSet daysOfMonth;
  private final BitSet months;
  private final BitSet weekdays;
  private final boolean anyDayOfMonth;
  private final boolean anyWeekday;

  private Cron(String expression, BitSet[] fields, boolean anyDayOfMonth, boolean anyWeekday) {
    this.expression = expression;
    this.minutes = fields[0];
    this.hours = fields[1];
    this.daysOfMonth = fields[2];
    this.months = fields[3];
    this.weekdays = fields[4];
    this.anyDayOfMonth = anyDayOfMonth;
    this.anyWeekday = anyWeekday;
  }

  /**
   * Parses {@code expression}; throws {@link IllegalArgumentException} with a message naming the
   * field and what is wrong, e.g. {@code hour: 24 is out of range 0-23}.
   */
  public static Cron parse(String expression) {
    if (expression == null || expression.isBlank()) {
      throw new IllegalArgumentException(
          "empty; expected five fields: minute hour day-of-month month day-of-week (UTC)");
    }
    String trimmed = expression.trim();
    String[] parts = trimmed.split("\\s+");
    if (parts.length != 5) {
      throw new IllegalArgumentException(
          "expected five fields (minute hour day-of-month month day-of-week, UTC), got "
              + parts.length
              + " in \""
              + trimmed
              + "\"");
    }
    BitSet[] fields = new BitSet[5];
    for (int i = 0; i < 5; i++) {
      fields[i] = field(i, parts[i]);
    }
    if (fields[4].get(7)) {
      fields[4].set(0);
      fields[4].clear(7);
    }
    Cron cron =
        new Cron(String.join(" ", parts), fields, unrestricted(parts[2]), unrestricted(parts[4]));
    if (cron.next(REFERENCE).isEmpty()) {
      throw new IllegalArgumentException(
          "\"" + trimmed + "\" never fires (no such day); check day-of-month against month");
    }
    return cron;
  }

  /** Whether {@code expression} parses; {@link #parse} says why not. */
  public static boolean isValid(String expression) {
    try {
      parse(expression);
      return true;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  /** The expression, fields separated by single spaces. */
  public String expression() {
    return expression;
  }

  /** The first run strictly after {@code after}; empty if none within eight years. */
  public Optional<Instant> next(Instant after) {
    LocalDateTime time =
        LocalDateTime.ofInstant(after, ZoneOffset.UTC)
            .truncatedTo(ChronoUnit.MINUTES)
            .plusMinutes(1);
    LocalDateTime limit = time.plusYears(HORIZON_YEARS);
    while (time.isBefore(limit)) {
      if (!months.get(time.getMonthValue())) {
        time = time.withDayOfMonth(1).toLocalDate().atStartOfDay().plusMonths(1);
      } else if (!dayMatches(time)) {
        time = time.toLocalDate().atStartOfDay().plusDays(1);
      } else if (!hours.get(time.getHour())) {
        time = time.truncatedTo(ChronoUnit.HOURS).plusHours(1);
      } else if (!minutes.get(time.getMinute())) {
        time = time.plusMinutes(1);
      } else {
        return Optional.of(time.toInstant(ZoneOffset.UTC));
      }
    }
    return Optional.empty();
  }

  /**
   * The longest time between two consecutive runs (over the first runs from a fixed reference
   * instant), so "older than the interval" never holds between two on-time runs: a quarterly drill
   * at 03:00 on Jan/Apr/Jul/Oct 1st gives 92 days, a nightly backup 1 day.
   */
  public Duration interval() {
    Instant previous = next(REFERENCE).orElseThrow();
    Duration longest = Duration.ZERO;
    Instant end = REFERENCE.atZone(ZoneOffset.UTC).plusYears(HORIZON_YEARS).toInstant();
    for (int i = 0; i < INTERVAL_SAMPLES && previous.isBefore(end); i++) {
      Optional<Instant> following = next(previous);
      if (following.isEmpty()) {
        break;
      }
      Duration gap = Duration.between(previous, following.get());
      if (gap.compareTo(longest) > 0) {
        longest = gap;
      }
      previous = following.get();
    }
    return longest;
  }

  /** Whether {@code instant} (to the minute) is a run time. */
  public boolean matches(Instant instant) {
    LocalDateTime time = LocalDateTime.ofInstant(instant, ZoneOffset.UTC);
    return months.get(time.getMonthValue())
        && dayMatches(time)
        && hours.get(time.getHour())
        && minutes.get(time.getMinute());
  }

  private boolean dayMatches(LocalDateTime time) {
    boolean dayOfMonth = daysOfMonth.get(time.getDayOfMonth());
    boolean weekday = weekdays.get(time.getDayOfWeek().getValue() % 7);
    if (anyDayOfMonth || anyWeekday) {
      return dayOfMonth && weekday;
    }
    return dayOfMonth || weekday;
  }

  private static boolean unrestricted(String part) {
    return part.equals("*") || part.equals("?");
  }

  private static BitSet field(int index, String text) {
    String name = FIELD_NAMES[index];
    BitSet values = new BitSet();
    for (String item : text.split(",", -1)) {
      if (item.isEmpty()) {
        throw new IllegalArgumentException(name + ": empty list element in \"" + text + "\"");
      }
      String range = item;
      int step = 1;
      int slash = item.indexOf('/');
      if (slash >= 0) {
        range = item.substring(0, slash);
        step = number(index, item.substring(slash + 1), "step");
        if (step < 1) {
          throw new IllegalArgumentException(
              name + ": step must be at least 1 in \"" + item + "\"");
        }
      }
      int low;
      int high;
      if (range.equals("*") || (range.equals("?") && (index == 2 || index == 4))) {
        low = MIN[index];
        high = index == 4 ? 6 : MAX[index];
      } else if (range.contains("-")) {
        String[] ends = range.split("-", -1);
        if (ends.length != 2) {
          throw new IllegalArgumentException(name + ": malformed range \"" + item + "\"");
        }
        low = value(index, ends[0]);
        high = value(index, ends[1]);
        if (low > high) {
          throw new IllegalArgumentException(
              name + ": range \"" + item + "\" runs backwards; write the lower bound first");
        }
      } else {
        low = value(index, range);
        // "5/15" means from 5 to the end, every 15.
        high = slash >= 0 ? MAX[index] : low;
      }
      for (int value = low; value <= high; value += step) {
        values.set(value);
      }
    }
    return values;
  }

  private static int value(int index, String text) {
    String upper = text.toUpperCase(Locale.ROOT);
    Integer named = index == 3 ? MONTHS.get(upper) : index == 4 ? WEEKDAYS.get(upper) : null;
    if (named != null) {
      return named;
    }
    int value = number(index, text, "value");
    if (value < MIN[index] || value > MAX[index]) {
      throw new IllegalArgumentException(
          FIELD_NAMES[index] + ": " + value + " is out of range " + MIN[index] + "-" + MAX[index]);
    }
    return value;
  }

  private static int number(int index, String text, String what) {
    if (!text.matches("[0-9]{1,4}")) {
      String hint = index == 3 ? " (or JAN-DEC)" : index == 4 ? " (or SUN-SAT)" : "";
      throw new IllegalArgumentException(
          FIELD_NAMES[index]
              + ": expected a number"
              + hint
              + " as "
              + what
              + ", got \""
              + text
              + "\"");
    }
    return Integer.parseInt(text);
  }

  private static Map<String, Integer> names(String... names) {
    java.util.HashMap<String, Integer> map = new java.util.HashMap<>();
    for (int i = 0; i < names.length; i++) {
      map.put(names[i], i + 1);
    }
    return Map.copyOf(map);
  }

  @Override
  public String toString() {
    return expression;
  }
}
