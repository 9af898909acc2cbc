package dev.vigil.workflows.drill;

import dev.vigil.workflows.common.StepTiming;
import java.util.List;

/**
 * One source's part of a drill.
 *
 * @param status the restore's status: {@code RESTORED}, {@code FAILED} or {@code NOT_RUN}
 * @param restoreMillis how long its restore took, as the drill saw it
 * @param rtoMillis from the drill's start to this source restored and validated
 * @param rpoMillis the drill's start minus the restored backup's consistent point
 * @param rtoObjectiveMillis the source's RTO objective, 0 for none
 * @param rpoObjectiveMillis the source's RPO objective, 0 for none
 * @param validation one line: what validation found
 * @param checks the validation checks that passed
 * @param failures why this component did not pass; empty when {@code passed}
 * @param steps the restore's step timings
 */
public record DrillComponent(
    String source,
    String kind,
    String backupId,
    String status,
    long storedBytes,
    long rawBytes,
    long restoreMillis,
    long rtoMillis,
    long rpoMillis,
    long rtoObjectiveMillis,
    long rpoObjectiveMillis,
    String validation,
    List<String> checks,
    List<String> failures,
    List<StepTiming> steps,
    boolean passed) {}
