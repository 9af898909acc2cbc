package dev.vigil.activities.retention;

import dev.vigil.activities.config.Durations;
import dev.vigil.activities.config.RetentionConfig;
import dev.vigil.workflows.retention.RetentionAction;
import dev.vigil.workflows.retention.RetentionDecision;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.temporal.IsoFields;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * Decides, for the backups of one source, which to keep, archive to cold storage or prune. Pure: no
 * I/O and no clock (the caller passes {@code now}), so it is tested exhaustively on its own.
 *
 * <p>Keep rules are restic's {@code forget} rules: the newest backup of each of the last N
 * days/weeks/months/years that have backups is kept, every backup within {@code keep-within} of the
 * newest backup is kept, and when a bucket rule has counts left over once the history runs out, the
 * oldest backup is kept as well. Buckets are UTC calendar boundaries (ISO weeks, Monday to Sunday).
 * Backups dated in the future are always kept.
 *
 * <p>Then age-based archival and the global invariant, which no policy overrides: the newest
 * verified backup is never pruned, and no backup is pruned unless a newer verified backup stays.
 */
public final class RetentionPolicyEngine {
  private RetentionPolicyEngine() {}

  /** The decisions for {@code backups} (any order; one source), newest first. */
  public static List<RetentionDecision> plan(
      List<RetainedBackup> backups, RetentionConfig policy, Instant now) {
    List<RetainedBackup> sorted = new ArrayList<>(backups);
    sorted.sort(NEWEST_FIRST);
    List<RetainedBackup> verified = sorted.stream().filter(RetainedBackup::verified).toList();
    List<RetainedBackup> past = verified.stream().filter(b -> !b.at().isAfter(now)).toList();
    List<Set<String>> rulesByIndex = keepRules(past, policy);
    Map<String, Set<String>> keptBy = new HashMap<>();
    for (int index = 0; index < past.size(); index++) {
      keptBy.put(past.get(index).backupId(), rulesByIndex.get(index));
    }

    List<RetentionDecision> decisions = new ArrayList<>();
    RetainedBackup newest = verified.isEmpty() ? null : verified.get(0);
    boolean unused =
        policy.archiveUnusedAfter() != null
            && newest != null
            && Duration.between(newest.at(), now).compareTo(policy.archiveUnusedAfter()) > 0;
    for (RetainedBackup backup : sorted) {
      if ("PRUNING".equals(backup.status())) {
        decisions.add(
            decision(
                backup,
                policy,
                RetentionAction.PRUNE,
                List.of("resume-prune"),
                "a prune of this backup started and did not finish; finishing it"));
        continue;
      }
      if (!backup.verified()) {
        decisions.add(
            decision(
                backup,
                policy,
                RetentionAction.KEEP,
                List.of("not-verified"),
                "status "
                    + backup.status()
                    + ": retention only acts on verified (ARCHIVED) backups"));
        continue;
      }
      if (backup.at().isAfter(now)) {
        decisions.add(
            decision(
                backup,
                policy,
                RetentionAction.KEEP,
                List.of("future"),
                "dated in the future (" + backup.at() + "); kept, as restic does"));
        continue;
      }
      Set<String> rules = keptBy.get(backup.backupId());
      decisions.add(decide(backup, rules, policy, now, unused));
    }
    return enforceInvariant(decisions, sorted);
  }

  private static RetentionDecision decide(
      RetainedBackup backup,
      Set<String> rules,
      RetentionConfig policy,
      Instant now,
      boolean unused) {
    Duration age = Duration.between(backup.at(), now);
    boolean kept = !policy.hasKeepRule() || !rules.isEmpty();
    List<String> keptRules = policy.hasKeepRule() ? List.copyOf(rules) : List.of("no-keep-rule");
    String keptReason =
        policy.hasKeepRule()
            ? "kept by " + String.join(", ", rules)
            : "no keep rule is set, so nothing expires";
    boolean olderThanArchive =
        policy.archiveAfter() != null && age.compareTo(policy.archiveAfter()) > 0;
    boolean pastColdLife =
        policy.deleteArchivedAfter() != null && age.compareTo(policy.deleteArchivedAfter()) > 0;
    String ageText = Durations.format(age) + " old";
    if (!kept && pastColdLife) {
      return decision(
          backup,
          policy,
          RetentionAction.PRUNE,
          List.of("delete-archived-after"),
          "not kept by any keep rule and "
              + ageText
              + ", past delete-archived-after "
              + Durations.format(policy.deleteArchivedAfter()));
    }
    if (backup.cold()) {
      List<String> coldRules = new ArrayList<>(kept ? keptRules : List.of());
      coldRules.add("cold");
      return decision(
          backup,
          policy,
          RetentionAction.KEEP,
          coldRules,
          (kept ? keptReason + "; " : "expired, ")
              + "already in "
              + backup.storageClass()
              + (kept ? "" : "; cold copies stay until delete-archived-after"));
    }
    if (olderThanArchive || unused) {
      List<String> archiveRules = new ArrayList<>(kept ? keptRules : List.of());
      archiveRules.add(unused && !olderThanArchive ? "archive-unused-after" : "archive-after");
      String why =
          olderThanArchive
              ? ageText + ", past archive-after " + Durations.format(policy.archiveAfter())
              : "no new backup of the source for longer than archive-unused-after "
                  + Durations.format(policy.archiveUnusedAfter());
      return decision(
          backup,
          policy,
          RetentionAction.ARCHIVE,
          archiveRules,
          (kept ? keptReason : "expired")
              + "; "
              + why
              + ": moves to "
              + policy.archiveStorageClass()
              + " instead of being deleted");
    }
    if (kept) {
      return decision(backup, policy, RetentionAction.KEEP, keptRules, keptReason);
    }
    return decision(
        backup,
        policy,
        RetentionAction.PRUNE,
        List.of("expired"),
        ageText + " and not kept by " + describeKeepRules(policy));
  }

  /**
   * The invariant, applied last so no rule above can break it: the newest verified backup stays,
   * and a backup is pruned only if a newer verified backup is not pruned. A prune that already
   * started (PRUNING) was checked under catalog locks when it started and is finished.
   */
  private static List<RetentionDecision> enforceInvariant(
      List<RetentionDecision> decisions, List<RetainedBackup> sorted) {
    List<RetentionDecision> safe = new ArrayList<>(decisions.size());
    boolean newerVerifiedStays = false;
    boolean newestSeen = false;
    for (int index = 0; index < decisions.size(); index++) {
      RetentionDecision decision = decisions.get(index);
      RetainedBackup backup = sorted.get(index);
      if (backup.verified() && !newestSeen) {
        newestSeen = true;
        if (decision.action() == RetentionAction.PRUNE) {
          decision =
              override(
                  decision,
                  "invariant:newest-verified",
                  "the newest verified backup of a source is never deleted");
        }
      } else if (decision.action() == RetentionAction.PRUNE
          && backup.verified()
          && !newerVerifiedStays) {
        decision =
            override(
                decision,
                "invariant:no-newer-verified",
                "no newer verified backup stays, so this one is not deleted");
      }
      if (backup.verified() && decision.action() != RetentionAction.PRUNE) {
        newerVerifiedStays = true;
      }
      safe.add(decision);
    }
    return safe;
  }

  private static RetentionDecision override(RetentionDecision decision, String rule, String why) {
    return new RetentionDecision(
        decision.backupId(),
        decision.source(),
        decision.status(),
        decision.consistentAtMillis(),
        decision.storageClass(),
        decision.storedBytes(),
        RetentionAction.KEEP,
        List.of(rule),
        why + " (the policy would have pruned it: " + decision.reason() + ")");
  }

  /** Per backup of {@code past} (newest first), the rules that keep it. */
  static List<Set<String>> keepRules(List<RetainedBackup> past, RetentionConfig policy) {
    List<Set<String>> kept = new ArrayList<>();
    past.forEach(b -> kept.add(new LinkedHashSet<>()));
    if (past.isEmpty()) {
      return kept;
    }
    if (policy.keepLast() != 0) {
      int count = policy.keepLast() == RetentionConfig.UNLIMITED ? past.size() : policy.keepLast();
      for (int index = 0; index < Math.min(count, past.size()); index++) {
        kept.get(index).add("keep-last");
      }
    }
    bucket(past, kept, policy.keepDaily(), "daily", at -> at.toLocalDate().toString());
    bucket(
        past,
        kept,
        policy.keepWeekly(),
        "weekly",
        at -> at.get(IsoFields.WEEK_BASED_YEAR) + "-W" + at.get(IsoFields.WEEK_OF_WEEK_BASED_YEAR));
    bucket(
        past, kept, policy.keepMonthly(), "monthly", at -> at.getYear() + "-" + at.getMonthValue());
    bucket(past, kept, policy.keepYearly(), "yearly", at -> Integer.toString(at.getYear()));
    if (policy.keepWithin() != null) {
      Instant latest = past.get(0).at();
      Instant limit = latest.minus(policy.keepWithin());
      for (int index = 0; index < past.size(); index++) {
        if (past.get(index).at().isAfter(limit)) {
          kept.get(index).add("keep-within");
        }
      }
    }
    return kept;
  }

  /**
   * restic's bucket rule: walking newest to oldest, the first backup of each new bucket is kept
   * while the count lasts; if the count outlasts the history, the oldest backup is kept too.
   */
  private static void bucket(
      List<RetainedBackup> past,
      List<Set<String>> kept,
      int count,
      String name,
      Function<ZonedDateTime, String> bucketOf) {
    if (count == 0) {
      return;
    }
    int left = count;
    String last = null;
    for (int index = 0;
        index < past.size() && (left > 0 || left == RetentionConfig.UNLIMITED);
        index++) {
      String value = bucketOf.apply(past.get(index).at().atZone(ZoneOffset.UTC));
      boolean oldest = index == past.size() - 1;
      if (!value.equals(last) || oldest) {
        kept.get(index).add(value.equals(last) ? "oldest " + name : name);
        last = value;
        if (left > 0) {
          left--;
        }
      }
    }
  }

  private static String describeKeepRules(RetentionConfig policy) {
    List<String> rules = new ArrayList<>();
    count(rules, "keep-last", policy.keepLast());
    count(rules, "keep-daily", policy.keepDaily());
    count(rules, "keep-weekly", policy.keepWeekly());
    count(rules, "keep-monthly", policy.keepMonthly());
    count(rules, "keep-yearly", policy.keepYearly());
    if (policy.keepWithin() != null) {
      rules.add("keep-within " + Durations.format(policy.keepWithin()));
    }
    return String.join(", ", rules);
  }

  private static void count(List<String> rules, String name, int value) {
    if (value != 0) {
      rules.add(name + " " + (value == RetentionConfig.UNLIMITED ? "unlimited" : value));
    }
  }

  private static RetentionDecision decision(
      RetainedBackup backup,
      RetentionConfig policy,
      RetentionAction action,
      List<String> rules,
      String reason) {
    return new RetentionDecision(
        backup.backupId(),
        backup.source(),
        backup.status(),
        backup.at().toEpochMilli(),
        action == RetentionAction.ARCHIVE ? policy.archiveStorageClass() : backup.storageClass(),
        backup.storedBytes(),
        action,
        List.copyOf(rules),
        reason);
  }

  /** Newest first; ties by backup id, newest id first, so the order is total and stable. */
  static final Comparator<RetainedBackup> NEWEST_FIRST =
      Comparator.comparing(RetainedBackup::at, Comparator.reverseOrder())
          .thenComparing(RetainedBackup::backupId, Comparator.reverseOrder());
}
