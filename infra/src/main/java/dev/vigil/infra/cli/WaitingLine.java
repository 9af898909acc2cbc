package dev.vigil.infra.cli;

import dev.vigil.starter.read.ActivityProgress;
import dev.vigil.starter.read.RunStatus;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * What a run waits for while one of its steps retries, and why: {@code waiting: appdb upload,
 * attempt 3, retrying in 40s after: REPOSITORY_UNAVAILABLE: repository 'main' unreachable (…)}.
 *
 * @param about what the line is about (run, step, attempt, failure) without the countdown: a
 *     command prints a line again only when this changes
 * @param text the line
 */
record WaitingLine(String about, String text) {

  /** One line per activity of {@code status} (or of its open children) on attempt 2 or later. */
  static List<WaitingLine> of(RunStatus status, Instant now) {
    List<WaitingLine> lines = new ArrayList<>();
    add(status, now, lines);
    for (RunStatus child : status.children()) {
      add(child, now, lines);
    }
    return lines;
  }

  private static void add(RunStatus run, Instant now, List<WaitingLine> lines) {
    if (run.closed()) {
      return;
    }
    for (ActivityProgress activity : run.activities()) {
      if (activity.attempt() < 2 || activity.lastFailure() == null) {
        continue;
      }
      String step = run.step() != null ? run.step() : activity.activityType();
      String what = ProgressRenderer.label(run.workflowId()) + " " + step;
      String about =
          run.workflowId()
              + " "
              + activity.activityType()
              + " "
              + activity.attempt()
              + " "
              + activity.lastFailure();
      StringBuilder text =
          new StringBuilder("waiting: ")
              .append(what)
              .append(", attempt ")
              .append(activity.attempt());
      if (activity.nextAttemptAt() != null && activity.nextAttemptAt().isAfter(now)) {
        text.append(", retrying in ")
            .append(seconds(Duration.between(now, activity.nextAttemptAt())));
      }
      text.append(" after: ").append(activity.lastFailure());
      lines.add(new WaitingLine(about, text.toString()));
    }
  }

  /** {@code 40s}, {@code 2m05s}, {@code 1h02m}: rounded up, so a due retry never shows 0s. */
  static String seconds(Duration wait) {
    long total = (wait.toMillis() + 999) / 1000;
    if (total < 60) {
      return total + "s";
    }
    if (total < 3600) {
      return String.format(Locale.ROOT, "%dm%02ds", total / 60, total % 60);
    }
    return String.format(Locale.ROOT, "%dh%02dm", total / 3600, total % 3600 / 60);
  }
}
