package dev.vigil.starter.api;

import dev.vigil.starter.read.ActivityProgress;
import dev.vigil.starter.read.BackupSetView;
import dev.vigil.starter.read.BackupStepView;
import dev.vigil.starter.read.BackupView;
import dev.vigil.starter.read.DailyReport;
import dev.vigil.starter.read.DrillComponentView;
import dev.vigil.starter.read.DrillView;
import dev.vigil.starter.read.ManifestEntryView;
import dev.vigil.starter.read.ManifestPage;
import dev.vigil.starter.read.ReportError;
import dev.vigil.starter.read.ReportTotals;
import dev.vigil.starter.read.RestoreView;
import dev.vigil.starter.read.RunStatus;
import dev.vigil.starter.read.SourceStatus;
import dev.vigil.starter.read.StorageUsage;
import dev.vigil.starter.read.ValidationEntry;
import io.micronaut.serde.annotation.SerdeImport;

/**
 * The read side's records are plain Java (the CLI uses them too); this imports them into
 * Micronaut's serialization so the API answers with them as they are, without a copy per view.
 */
@SerdeImport(BackupView.class)
@SerdeImport(BackupSetView.class)
@SerdeImport(DrillView.class)
@SerdeImport(DrillComponentView.class)
@SerdeImport(RunStatus.class)
@SerdeImport(ActivityProgress.class)
@SerdeImport(DailyReport.class)
@SerdeImport(SourceStatus.class)
@SerdeImport(StorageUsage.class)
@SerdeImport(ValidationEntry.class)
@SerdeImport(ReportError.class)
@SerdeImport(ReportTotals.class)
@SerdeImport(RestoreView.class)
@SerdeImport(ManifestPage.class)
@SerdeImport(ManifestEntryView.class)
@SerdeImport(BackupStepView.class)
final class ReadViews {
  private ReadViews() {}
}
