package dev.vigil.workflows.common;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

class CronTest {
  @Test
  void nightlyRunsAtTwoUtcTheNextDay() {
    Cron nightly = Cron.parse("0 2 * * *");

    assertThat(nightly.next(Instant.parse("2026-11-21T02:00:00Z")))
        .contains(Instant.parse("2026-11-22T02:00:00Z"));
    assertThat(nightly.next(Instant.parse("2026-11-21T01:59:59Z")))
        .contains(Instant.parse("2026-11-21T02:00:00Z"));
    assertThat(nightly.interval()).isEqualTo(Duration.ofDays(1));
  }

  @Test
  void quarterlyFiresOnTheFirstOfJanAprJulOctAndItsIntervalIsTheLongestQuarter() {
    Cron quarterly = Cron.parse("0 3 1 1,4,7,10 *");

    assertThat(quarterly.next(Instant.parse("2026-11-21T00:00:00Z")))
        .contains(Instant.parse("2027-01-01T03:00:00Z"));
    assertThat(quarterly.next(Instant.parse("2027-01-01T03:00:00Z")))
        .contains(Instant.parse("2027-04-01T03:00:00Z"));
    assertThat(quarterly.interval()).isEqualTo(Duration.ofDays(92));
  }

  @Test
  void namesStepsAndRangesAreRead() {
    assertThat(Cron.parse("0 4 * * SUN").next(Instant.parse("2026-11-21T00:00:00Z")))
        .contains(Instant.parse("2026-11-22T04:00:00Z"));
    assertThat(Cron.parse("0 4 * * 7").next(Instant.parse("2026-11-21T00:00:00Z")))
        .contains(Instant.parse("2026-11-22T04:00:00Z"));
    assertThat(
            Cron.parse("*/15 9-17 * jan-mar mon-fri").next(Instant.parse("2027-01-01T17:50:00Z")))
        .as("1 Jan 2027 is a Friday; the next slot is Monday 09:00")
        .contains(Instant.parse("2027-01-04T09:00:00Z"));
    assertThat(Cron.parse("5/20 * * * *").next(Instant.parse("2026-01-01T00:26:00Z")))
        .contains(Instant.parse("2026-01-01T00:45:00Z"));
    assertThat(Cron.parse("30 5 * * *").interval()).isEqualTo(Duration.ofDays(1));
    assertThat(Cron.parse("0 0 29 2 *").interval()).isEqualTo(Duration.ofDays(4 * 365 + 1));
  }

  @Test
  void restrictedDayOfMonthAndWeekdayMatchEither() {
    Cron cron = Cron.parse("0 0 13 * FRI");

    // 2026-11-20 is a Friday, 2026-12-13 a Sunday.
    assertThat(cron.next(Instant.parse("2026-11-14T00:00:00Z")))
        .contains(Instant.parse("2026-11-20T00:00:00Z"));
    assertThat(cron.matches(Instant.parse("2026-12-13T00:00:00Z"))).isTrue();
  }

  @Test
  void badExpressionsNameTheFieldAndTheProblem() {
    assertThatThrownBy(() -> Cron.parse("0 2 * *"))
        .hasMessageContaining("expected five fields")
        .hasMessageContaining("got 4");
    assertThatThrownBy(() -> Cron.parse("0 24 * * *")).hasMessage("hour: 24 is out of range 0-23");
    assertThatThrownBy(() -> Cron.parse("61 2 * * *"))
        .hasMessage("minute: 61 is out of range 0-59");
    assertThatThrownBy(() -> Cron.parse("0 2 * FOO *"))
        .hasMessageContaining("month: expected a number (or JAN-DEC)");
    assertThatThrownBy(() -> Cron.parse("0 2 * * MONDAY"))
        .hasMessageContaining("day-of-week: expected a number (or SUN-SAT)");
    assertThatThrownBy(() -> Cron.parse("0 5-2 * * *")).hasMessageContaining("runs backwards");
    assertThatThrownBy(() -> Cron.parse("*/0 * * * *")).hasMessageContaining("step must be");
    assertThatThrownBy(() -> Cron.parse("0 0 30 2 *")).hasMessageContaining("never fires");
    assertThatThrownBy(() -> Cron.parse("0 ? * * *")).hasMessageContaining("hour");
    assertThatThrownBy(() -> Cron.parse("")).hasMessageContaining("empty");
    assertThat(Cron.isValid("0 3 1 1,4,7,10 *")).isTrue();
    assertThat(Cron.isValid("0 3 1,,4 * *")).isFalse();
  }

  @Property(tries = 300)
  void nextIsAfterNowMatchesTheFieldsAndSkipsNoRun(
      @ForAll("expressions") String expression, @ForAll("instants") Instant now) {
    Cron cron = Cron.parse(expression);

    Instant next = cron.next(now).orElseThrow();

    assertThat(next).isAfter(now);
    assertThat(cron.matches(next)).isTrue();
    assertThat(next.getEpochSecond() % 60).isZero();
    // No run time was skipped: no minute between now and next matches (checked up to a day).
    Instant minute = now.truncatedTo(ChronoUnit.MINUTES).plus(1, ChronoUnit.MINUTES);
    for (int i = 0; i < 1440 && minute.isBefore(next); i++) {
      assertThat(cron.matches(minute)).as("%s at %s", expression, minute).isFalse();
      minute = minute.plus(1, ChronoUnit.MINUTES);
    }
  }

  @Provide
  Arbitrary<String> expressions() {
    Arbitrary<String> minute = field(0, 59);
    Arbitrary<String> hour = field(0, 23);
    Arbitrary<String> day = Arbitraries.of("*", "1", "15", "1-7", "*/10", "28");
    Arbitrary<String> month = Arbitraries.of("*", "1,4,7,10", "JAN-JUN", "*/2", "12");
    Arbitrary<String> weekday = Arbitraries.of("*", "0", "MON-FRI", "SAT,SUN", "*/3", "7");
    return Combinators.combine(minute, hour, day, month, weekday)
        .as((m, h, d, mo, w) -> String.join(" ", m, h, d, mo, w));
  }

  @Provide
  Arbitrary<Instant> instants() {
    return Arbitraries.longs()
        .between(
            Instant.parse("2020-01-01T00:00:00Z").getEpochSecond(),
            Instant.parse("2035-01-01T00:00:00Z").getEpochSecond())
        .map(Instant::ofEpochSecond);
  }

  private static Arbitrary<String> field(int min, int max) {
    Arbitrary<Integer> value = Arbitraries.integers().between(min, max);
    return Arbitraries.oneOf(
        Arbitraries.just("*"),
        value.map(String::valueOf),
        Combinators.combine(value, value).as((a, b) -> Math.min(a, b) + "-" + Math.max(a, b)),
        Arbitraries.integers().between(1, 20).map(step -> "*/" + step),
        Combinators.combine(value, value).as((a, b) -> a + "," + b));
  }
}
