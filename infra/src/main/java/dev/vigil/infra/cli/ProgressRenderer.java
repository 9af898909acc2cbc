package dev.vigil.infra.cli;

import dev.vigil.activities.config.Sizes;
import dev.vigil.starter.read.ActivityProgress;
import dev.vigil.starter.read.RunStatus;
import java.util.ArrayList;
import java.util.List;

/**
 * Draws a run's live status as progress lines, one per run doing the work (the run itself, or each
 * of its open children): {@code appdb upload [#######.....] 512.0 MiB / 1.2 GiB attempt 2}. Pure:
 * the same status gives the same lines.
 */
final class ProgressRenderer {
  static final int BAR_WIDTH = 20;

  private ProgressRenderer() {}

  /** The lines for {@code status}. */
  static List<String> lines(RunStatus status) {
    List<String> lines = new ArrayList<>();
    if (status.children().isEmpty()) {
      lines.add(line(status));
    } else {
      for (RunStatus child : status.children()) {
        lines.add(line(child));
      }
    }
    return lines;
  }

  /** One run: label, step, then its busiest activity's bytes and attempt. */
  static String line(RunStatus run) {
    StringBuilder line = new StringBuilder(label(run.workflowId()));
    ActivityProgress activity = busiest(run.activities());
    String step =
        run.step() != null ? run.step() : activity != null ? activity.activityType() : null;
    line.append("  ").append(step != null ? step : run.state().toLowerCase(java.util.Locale.ROOT));
    if (activity != null) {
      Long done = activity.bytesDone();
      Long total = activity.bytesTotal();
      if (done != null && total != null && total > 0) {
        line.append("  ").append(bar(done, total));
        line.append("  ").append(Sizes.format(done)).append(" / ").append(Sizes.format(total));
      } else if (done != null) {
        line.append("  ").append(Sizes.format(done));
      }
      if (activity.attempt() > 1) {
        line.append("  attempt ").append(activity.attempt());
      }
    }
    return line.toString();
  }

  /** {@code [#####...............]}: done out of total, clamped to full. */
  static String bar(long done, long total) {
    int filled = (int) Math.min(BAR_WIDTH, Math.max(0, done) * BAR_WIDTH / total);
    return "[" + "#".repeat(filled) + ".".repeat(BAR_WIDTH - filled) + "]";
  }

  /**
   * A short name from a business workflow id: {@code backup-appdb-20261120T020000Z} → {@code
   * appdb}; other ids as they are.
   */
  static String label(String workflowId) {
    String name = workflowId;
    for (String prefix : List.of("backup-set-", "backup-", "restore-", "drill-")) {
      if (name.startsWith(prefix)) {
        name = name.substring(prefix.length());
        break;
      }
    }
    int last = name.lastIndexOf('-');
    if (last > 0 && last + 1 < name.length() && Character.isDigit(name.charAt(last + 1))) {
      name = name.substring(0, last);
    }
    return name;
  }

  /** The activity with bytes to show, else the first one. */
  private static ActivityProgress busiest(List<ActivityProgress> activities) {
    for (ActivityProgress activity : activities) {
      if (activity.bytesDone() != null) {
        return activity;
      }
    }
    return activities.isEmpty() ? null : activities.get(0);
  }
}
