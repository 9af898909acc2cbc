package dev.vigil.activities.retention;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vigil.activities.config.RetentionConfig;
import dev.vigil.workflows.retention.RetentionAction;
import dev.vigil.workflows.retention.RetentionDecision;
import java.time.DayOfWeek;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Fixed cases: restic's documented examples, archival, and the invariant. */
class RetentionPolicyEngineTest {

  @Test
  void keepDailyFourOfTwelveSundaysKeepsTheLastFourSundaysAsResticDocuments() {
    // restic docs, "Removing backup snapshots": one backup every Sunday for 12 weeks.
    List<RetainedBackup> backups = new ArrayList<>();
    LocalDate first = LocalDate.of(2019, 9, 1);
    for (int week = 0; week < 12; week++) {
      backups.add(
          backup("s" + week, first.plusWeeks(week).atTime(11, 0).toInstant(ZoneOffset.UTC)));
    }
    Instant now = Instant.parse("2019-11-18T00:00:00Z");

    List<RetentionDecision> plan =
        RetentionPolicyEngine.plan(backups, RetentionConfig.keep(0, 4, 0, 0, 0, null), now);

    assertThat(kept(plan)).containsExactly("s11", "s10", "s9", "s8"); // 11-17, 11-10, 11-03, 10-27
    assertThat(plan.stream().filter(d -> d.action() == RetentionAction.PRUNE).count()).isEqualTo(8);
    assertThat(plan.get(0).rules()).containsExactly("daily");
  }

  @Test
  void dailyBackupsForAHundredYearsKeepResticsDocumentedMixOfDailyWeeklyMonthlyYearly() {
    // restic docs: "suppose you make one backup every day for 100 years. Then forget --keep-daily
    // 7 --keep-weekly 5 --keep-monthly 12 --keep-yearly 75 would keep the most recent 7 daily
    // snapshots and 4 last-day-of-the-week ones ... 12 or 11 last-day-of-the-month ... 75 or 74
    // last-day-of-the-year". The history ends on a Sunday, so the 7 dailies are one ISO week.
    LocalDate last = LocalDate.of(2099, 6, 21);
    LocalDate day = last.minusYears(100).plusDays(1);
    List<RetainedBackup> backups = new ArrayList<>();
    while (!day.isAfter(last)) {
      backups.add(backup(day.toString(), day.atTime(12, 0).toInstant(ZoneOffset.UTC)));
      day = day.plusDays(1);
    }
    Instant now = last.atTime(23, 0).toInstant(ZoneOffset.UTC);

    List<RetentionDecision> plan =
        RetentionPolicyEngine.plan(backups, RetentionConfig.keep(0, 7, 5, 12, 75, null), now);

    List<RetentionDecision> kept =
        plan.stream().filter(d -> d.action() == RetentionAction.KEEP).toList();
    assertThat(kept.stream().filter(d -> d.rules().contains("daily")).count()).isEqualTo(7);
    assertThat(kept.stream().filter(d -> d.rules().contains("weekly")).count()).isEqualTo(5);
    assertThat(kept.stream().filter(d -> d.rules().contains("monthly")).count()).isEqualTo(12);
    // Overlaps only shrink the union: the newest month is a daily, May's end a weekly Sunday.
    assertThat(kept).hasSize(7 + 4 + 10 + 73);
    assertThat(kept.subList(0, 7))
        .allSatisfy(d -> assertThat(d.rules()).contains("daily"))
        .extracting(RetentionDecision::backupId)
        .containsExactly(
            "2099-06-21",
            "2099-06-20",
            "2099-06-19",
            "2099-06-18",
            "2099-06-17",
            "2099-06-16",
            "2099-06-15");
    List<RetentionDecision> weeklyOnly =
        kept.stream()
            .filter(d -> d.rules().contains("weekly") && !d.rules().contains("daily"))
            .toList();
    assertThat(weeklyOnly)
        .hasSize(4)
        .allSatisfy(d -> assertThat(date(d).getDayOfWeek()).isEqualTo(DayOfWeek.SUNDAY));
    kept.stream()
        .filter(d -> d.rules().equals(List.of("monthly")))
        .forEach(d -> assertThat(date(d).plusDays(1).getDayOfMonth()).isEqualTo(1));
    kept.stream()
        .filter(d -> d.rules().equals(List.of("yearly")))
        .forEach(d -> assertThat(date(d).getDayOfYear()).isEqualTo(date(d).lengthOfYear()));
    assertThat(kept.stream().filter(d -> d.rules().contains("yearly")).count()).isEqualTo(75);
  }

  @Test
  void keepWithinCountsFromTheNewestBackupNotFromNow() {
    Instant newest = Instant.parse("2024-01-10T00:00:00Z");
    List<RetainedBackup> backups =
        List.of(
            backup("a", newest),
            backup("b", newest.minus(Duration.ofDays(5))),
            backup("c", newest.minus(Duration.ofDays(11))));
    // A year later: keep-within 10d still keeps a and b, as restic does.
    List<RetentionDecision> plan =
        RetentionPolicyEngine.plan(
            backups,
            RetentionConfig.keep(0, 0, 0, 0, 0, Duration.ofDays(10)),
            newest.plus(Duration.ofDays(365)));
    assertThat(kept(plan)).containsExactly("a", "b");
  }

  @Test
  void bucketRuleWithCountsLeftAlsoKeepsTheOldestBackup() {
    Instant day = Instant.parse("2024-03-10T10:00:00Z");
    List<RetainedBackup> backups =
        List.of(
            backup("new", day),
            backup("same-day", day.minus(Duration.ofHours(2))),
            backup("oldest", day.minus(Duration.ofHours(4))));
    List<RetentionDecision> plan =
        RetentionPolicyEngine.plan(backups, RetentionConfig.keep(0, 5, 0, 0, 0, null), day);
    assertThat(kept(plan)).containsExactly("new", "oldest");
    assertThat(plan.get(2).rules()).containsExactly("oldest daily");
  }

  @Test
  void expiredBackupsOlderThanArchiveAfterMoveToColdStorageInsteadOfBeingDeleted() {
    Instant now = Instant.parse("2024-06-01T00:00:00Z");
    List<RetainedBackup> backups =
        List.of(
            backup("today", now.minus(Duration.ofHours(1))),
            backup("week", now.minus(Duration.ofDays(8))),
            backup("old", now.minus(Duration.ofDays(40))),
            cold("older", now.minus(Duration.ofDays(50))),
            cold("ancient", now.minus(Duration.ofDays(400))));
    RetentionConfig policy =
        new RetentionConfig(
            1,
            0,
            0,
            0,
            0,
            null,
            Duration.ofDays(30),
            null,
            "DEEP_ARCHIVE",
            Duration.ofDays(365),
            Map.of());

    List<RetentionDecision> plan = RetentionPolicyEngine.plan(backups, policy, now);

    assertThat(plan)
        .extracting(RetentionDecision::backupId, RetentionDecision::action)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("today", RetentionAction.KEEP),
            org.assertj.core.groups.Tuple.tuple("week", RetentionAction.PRUNE),
            org.assertj.core.groups.Tuple.tuple("old", RetentionAction.ARCHIVE),
            org.assertj.core.groups.Tuple.tuple("older", RetentionAction.KEEP),
            org.assertj.core.groups.Tuple.tuple("ancient", RetentionAction.PRUNE));
    assertThat(plan.get(2).storageClass()).isEqualTo("DEEP_ARCHIVE");
    assertThat(plan.get(2).rules()).containsExactly("archive-after");
    assertThat(plan.get(4).rules()).containsExactly("delete-archived-after");
  }

  @Test
  void theNewestVerifiedBackupIsKeptEvenWhenEveryRuleWouldDropIt() {
    Instant now = Instant.parse("2024-06-01T00:00:00Z");
    List<RetainedBackup> backups =
        List.of(
            failed("failed-newer", now.minus(Duration.ofDays(1))),
            backup("only-good", now.minus(Duration.ofDays(500))));
    RetentionConfig policy = RetentionConfig.keep(0, 0, 0, 0, 0, Duration.ofDays(1));
    // keep-within counts from the newest backup, so drop it with a delete-archived-after instead.
    RetentionConfig harsh =
        new RetentionConfig(
            0, 0, 0, 1, 0, null, Duration.ofDays(1), null, "GLACIER", Duration.ofDays(2), Map.of());

    for (RetentionConfig each : List.of(policy, harsh)) {
      List<RetentionDecision> plan = RetentionPolicyEngine.plan(backups, each, now);
      assertThat(plan.get(1).action()).isNotEqualTo(RetentionAction.PRUNE);
      assertThat(plan.get(0).action()).isEqualTo(RetentionAction.KEEP);
      assertThat(plan.get(0).rules()).containsExactly("not-verified");
    }
  }

  @Test
  void anUnusedSourceMovesEntirelyToColdStorage() {
    Instant now = Instant.parse("2024-06-01T00:00:00Z");
    List<RetainedBackup> backups =
        List.of(
            backup("last", now.minus(Duration.ofDays(100))),
            backup("before", now.minus(Duration.ofDays(101))));
    RetentionConfig policy =
        new RetentionConfig(
            5, 0, 0, 0, 0, null, null, Duration.ofDays(90), "GLACIER", null, Map.of());
    List<RetentionDecision> plan = RetentionPolicyEngine.plan(backups, policy, now);
    assertThat(plan).allSatisfy(d -> assertThat(d.action()).isEqualTo(RetentionAction.ARCHIVE));
    assertThat(plan.get(0).rules()).containsExactly("keep-last", "archive-unused-after");
  }

  @Test
  void anInterruptedPruneIsFinished() {
    Instant now = Instant.parse("2024-06-01T00:00:00Z");
    List<RetainedBackup> backups =
        List.of(
            backup("good", now.minus(Duration.ofDays(1))),
            new RetainedBackup(
                "half",
                "s",
                "PRUNING",
                now.minus(Duration.ofDays(2)),
                false,
                "STANDARD",
                false,
                1));
    List<RetentionDecision> plan =
        RetentionPolicyEngine.plan(backups, RetentionConfig.keep(5, 0, 0, 0, 0, null), now);
    assertThat(plan.get(1).action()).isEqualTo(RetentionAction.PRUNE);
    assertThat(plan.get(1).rules()).containsExactly("resume-prune");
  }

  private static LocalDate date(RetentionDecision decision) {
    return Instant.ofEpochMilli(decision.consistentAtMillis()).atZone(ZoneOffset.UTC).toLocalDate();
  }

  private static List<String> kept(List<RetentionDecision> plan) {
    return plan.stream()
        .filter(d -> d.action() == RetentionAction.KEEP)
        .map(RetentionDecision::backupId)
        .toList();
  }

  static RetainedBackup backup(String id, Instant at) {
    return new RetainedBackup(id, "s", "ARCHIVED", at, true, "STANDARD", false, 100);
  }

  static RetainedBackup cold(String id, Instant at) {
    return new RetainedBackup(id, "s", "ARCHIVED", at, true, "GLACIER", true, 100);
  }

  static RetainedBackup failed(String id, Instant at) {
    return new RetainedBackup(id, "s", "FAILED", at, false, null, false, 0);
  }
}
