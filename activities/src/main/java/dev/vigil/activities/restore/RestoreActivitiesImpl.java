package dev.vigil.activities.restore;

import dev.vigil.activities.VigilServices;
import dev.vigil.activities.common.Activities;
import dev.vigil.workflows.restore.RestoreActivities;
import dev.vigil.workflows.restore.RestoreRecord;
import dev.vigil.workflows.restore.RestoreSelector;
import dev.vigil.workflows.restore.SelectedBackup;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Restore steps any worker can run: choosing the backup and recording the outcome. */
public final class RestoreActivitiesImpl implements RestoreActivities {
  private static final Logger log = LoggerFactory.getLogger(RestoreActivitiesImpl.class);

  private final RestoreCatalog catalog;

  public RestoreActivitiesImpl(VigilServices services) {
    this(new RestoreCatalog(services.catalogDataSource()));
  }

  public RestoreActivitiesImpl(RestoreCatalog catalog) {
    this.catalog = catalog;
  }

  @Override
  public SelectedBackup selectBackup(RestoreSelector selector) {
    return Activities.run(() -> catalog.select(selector));
  }

  @Override
  public void recordRestore(RestoreRecord record) {
    Activities.run(() -> catalog.record(record));
    log.info(
        "restore {} of backup {}: {}{}",
        record.restoreId(),
        record.backupId(),
        record.status(),
        record.failure() == null ? "" : " (" + record.failure() + ")");
  }
}
