package dev.vigil.activities.retention;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vigil.activities.config.RetentionConfig;
import dev.vigil.workflows.retention.RetentionAction;
import dev.vigil.workflows.retention.RetentionDecision;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/** Random backup histories and policies: the invariant holds, and GFS picks match a reference. */
class RetentionPolicyPropertiesTest {
  private static final Instant NOW = Instant.parse("2025-03-01T12:00:00Z");

  @Property(tries = 500)
  void theNewestVerifiedBackupIsNeverPruned(
      @ForAll("histories") List<RetainedBackup> history,
      @ForAll("policies") RetentionConfig policy) {
    List<RetentionDecision> plan = RetentionPolicyEngine.plan(history, policy, NOW);
    history.stream()
        .filter(RetainedBackup::verified)
        .max(Comparator.comparing(RetainedBackup::at).thenComparing(RetainedBackup::backupId))
        .ifPresent(
            newest ->
                assertThat(action(plan, newest.backupId())).isNotEqualTo(RetentionAction.PRUNE));
  }

  @Property(tries = 500)
  void aVerifiedBackupIsPrunedOnlyIfANewerVerifiedBackupStays(
      @ForAll("histories") List<RetainedBackup> history,
      @ForAll("policies") RetentionConfig policy) {
    List<RetentionDecision> plan = RetentionPolicyEngine.plan(history, policy, NOW);
    for (RetainedBackup backup : history) {
      if (backup.verified() && action(plan, backup.backupId()) == RetentionAction.PRUNE) {
        boolean newerStays =
            history.stream()
                .filter(RetainedBackup::verified)
                .filter(other -> newer(other, backup))
                .anyMatch(other -> action(plan, other.backupId()) != RetentionAction.PRUNE);
        assertThat(newerStays).as("a newer verified backup than %s stays", backup).isTrue();
      }
    }
  }

  @Property(tries = 500)
  void unverifiedBackupsAreNeverTouchedAndEveryBackupGetsOneDecision(
      @ForAll("histories") List<RetainedBackup> history,
      @ForAll("policies") RetentionConfig policy) {
    List<RetentionDecision> plan = RetentionPolicyEngine.plan(history, policy, NOW);
    assertThat(plan)
        .extracting(RetentionDecision::backupId)
        .containsExactlyInAnyOrderElementsOf(
            history.stream().map(RetainedBackup::backupId).toList());
    history.stream()
        .filter(b -> !b.verified() && !b.status().equals("PRUNING"))
        .forEach(b -> assertThat(action(plan, b.backupId())).isEqualTo(RetentionAction.KEEP));
  }

  @Property(tries = 300)
  void keepLastKeepsTheNewestBackupsFromBeingPruned(
      @ForAll("histories") List<RetainedBackup> history,
      @ForAll("counts") int last,
      @ForAll("policies") RetentionConfig base) {
    RetentionConfig policy =
        new RetentionConfig(
            last,
            base.keepDaily(),
            base.keepWeekly(),
            base.keepMonthly(),
            base.keepYearly(),
            base.keepWithin(),
            base.archiveAfter(),
            base.archiveUnusedAfter(),
            base.archiveStorageClass(),
            null,
            Map.of());
    List<RetentionDecision> plan = RetentionPolicyEngine.plan(history, policy, NOW);
    List<RetainedBackup> past = past(history);
    int protectedCount =
        last == RetentionConfig.UNLIMITED ? past.size() : Math.min(last, past.size());
    for (RetainedBackup backup : past.subList(0, protectedCount)) {
      assertThat(action(plan, backup.backupId())).isNotEqualTo(RetentionAction.PRUNE);
    }
  }

  @Property(tries = 500)
  void dailyAndWeeklyPicksMatchAReferenceOfResticsRule(
      @ForAll("histories") List<RetainedBackup> history,
      @ForAll("counts") int daily,
      @ForAll("counts") int weekly) {
    RetentionConfig policy = RetentionConfig.keep(0, daily, weekly, 0, 0, null);
    if (!policy.hasKeepRule()) {
      return;
    }
    // Cold copies stay whatever the keep rules say; compare the rules on hot backups.
    history =
        history.stream()
            .map(
                b ->
                    new RetainedBackup(
                        b.backupId(),
                        b.source(),
                        b.status(),
                        b.at(),
                        b.verified(),
                        "STANDARD",
                        false,
                        b.storedBytes()))
            .toList();
    List<RetentionDecision> plan = RetentionPolicyEngine.plan(history, policy, NOW);
    List<RetainedBackup> past = past(history);
    Set<String> expected = new HashSet<>();
    expected.addAll(reference(past, daily, "daily"));
    expected.addAll(reference(past, weekly, "weekly"));
    Set<String> actual = new HashSet<>();
    for (RetainedBackup backup : past) {
      if (action(plan, backup.backupId()) == RetentionAction.KEEP) {
        actual.add(backup.backupId());
      }
    }
    assertThat(actual).isEqualTo(expected);
  }

  /**
   * restic's documented rule, written independently: group by calendar bucket, take the newest of
   * each of the {@code count} newest buckets; if the history runs out first, also the oldest.
   */
  private static Set<String> reference(List<RetainedBackup> past, int count, String kind) {
    Set<String> kept = new HashSet<>();
    if (count == 0 || past.isEmpty()) {
      return kept;
    }
    Map<String, RetainedBackup> newestPerBucket = new LinkedHashMap<>();
    for (RetainedBackup backup : past) {
      var at = backup.at().atZone(ZoneOffset.UTC);
      String bucket =
          kind.equals("daily")
              ? at.toLocalDate().toString()
              : at.get(java.time.temporal.IsoFields.WEEK_BASED_YEAR)
                  + "-"
                  + at.get(java.time.temporal.IsoFields.WEEK_OF_WEEK_BASED_YEAR);
      newestPerBucket.putIfAbsent(bucket, backup);
    }
    List<RetainedBackup> picks = new ArrayList<>(newestPerBucket.values());
    int limit = count == RetentionConfig.UNLIMITED ? picks.size() : count;
    picks.subList(0, Math.min(limit, picks.size())).forEach(b -> kept.add(b.backupId()));
    if (count == RetentionConfig.UNLIMITED || limit > picks.size()) {
      kept.add(past.get(past.size() - 1).backupId());
    }
    return kept;
  }

  @Provide
  Arbitrary<List<RetainedBackup>> histories() {
    Arbitrary<Long> minutesAgo = Arbitraries.longs().between(-600, 60L * 24 * 800);
    Arbitrary<String> status =
        Arbitraries.of(
            "ARCHIVED", "ARCHIVED", "ARCHIVED", "ARCHIVED", "FAILED", "RUNNING", "PRUNING");
    Arbitrary<Boolean> cold = Arbitraries.of(false, false, true);
    return Combinators.combine(minutesAgo, status, cold)
        .as(
            (ago, state, isCold) ->
                new RetainedBackup(
                    "b",
                    "s",
                    state,
                    NOW.minus(Duration.ofMinutes(ago)),
                    state.equals("ARCHIVED"),
                    isCold ? "GLACIER" : "STANDARD",
                    isCold && state.equals("ARCHIVED"),
                    10))
        .list()
        .ofMaxSize(40)
        .map(
            list -> {
              List<RetainedBackup> named = new ArrayList<>();
              for (int index = 0; index < list.size(); index++) {
                RetainedBackup b = list.get(index);
                named.add(
                    new RetainedBackup(
                        String.format("b%03d", index),
                        b.source(),
                        b.status(),
                        b.at(),
                        b.verified(),
                        b.storageClass(),
                        b.cold(),
                        b.storedBytes()));
              }
              return named;
            });
  }

  @Provide
  Arbitrary<Integer> counts() {
    return Arbitraries.oneOf(
        Arbitraries.integers().between(0, 6), Arbitraries.just(RetentionConfig.UNLIMITED));
  }

  @Provide
  Arbitrary<RetentionConfig> policies() {
    Arbitrary<Integer> count = counts();
    Arbitrary<Duration> days =
        Arbitraries.integers().between(1, 500).map(d -> Duration.ofDays(d)).injectNull(0.5);
    return Combinators.combine(count, count, count, count, count, days, days, days)
        .as(
            (last, daily, weekly, monthly, yearly, within, archive, unused) -> {
              Duration delete = archive != null ? archive.plusDays(archive.toDays() % 7 + 1) : null;
              return new RetentionConfig(
                  last, daily, weekly, monthly, yearly, within, archive, unused, "GLACIER", delete,
                  Map.of());
            });
  }

  private static List<RetainedBackup> past(List<RetainedBackup> history) {
    return history.stream()
        .filter(RetainedBackup::verified)
        .filter(b -> !b.at().isAfter(NOW))
        .sorted(RetentionPolicyEngine.NEWEST_FIRST)
        .toList();
  }

  private static boolean newer(RetainedBackup a, RetainedBackup b) {
    return RetentionPolicyEngine.NEWEST_FIRST.compare(a, b) < 0;
  }

  private static RetentionAction action(List<RetentionDecision> plan, String backupId) {
    return plan.stream()
        .filter(d -> d.backupId().equals(backupId))
        .findFirst()
        .orElseThrow()
        .action();
  }
}
